#pragma once
// admin_directory: what admins read across accounts (DESIGN.md "API": admin users, audit),
// and the one audit view a user gets of their own account.
// Every listing is a keyset page; nothing here changes data (changes go through user_store,
// with their events). Implemented by adapters/postgres (admin_directory).
//
// Contract: follows user_store.hpp (unreachable or timing out THROWS backend_unavailable).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/account.hpp"
#include "domain/model/user.hpp"
#include "domain/ports/async.hpp"
#include "domain/rfc3339.hpp"
#include "domain/uuid.hpp"

namespace kemas::ports {

struct user_filter {
  std::string query;  // "" = any; else a substring of the e-mail or username (any case)
  std::optional<kemas::role> role;
  std::string plan;  // a plan name; "" = any
  std::optional<bool> disabled;
};

// Users are listed newest first: (created_at, id) descending.
struct user_position {
  std::int64_t created_us = 0;
  uuid id;
};

struct user_summary {
  model::user user;  // password_hash left empty
  std::int64_t file_count = 0;
  std::int64_t created_us = 0;  // the page position of this row
};

struct user_page {
  std::vector<user_summary> users;
  bool more = false;
};

struct user_details {
  user_summary summary;
  std::int64_t quota_bytes = 0;  // of the plan in force now (free once a plan expired)
  std::string effective_plan;    // that plan's name
  std::optional<timestamp> last_login;
};

struct audit_filter {
  std::optional<uuid> actor;
  std::string action;       // event type, exact
  std::string target_type;  // "user", "file", ...
  std::string target_id;
  std::string request_id;
  std::optional<timestamp> from;  // occurred_at >= from
  std::optional<timestamp> to;    // occurred_at < to
};

struct audit_entry {
  std::int64_t seq = 0;  // chain_seq: the page position
  std::string event_id;
  timestamp occurred_at{};
  std::optional<uuid> actor;
  std::string actor_ip;  // "" when none
  std::string action;
  std::string target_type;
  std::string target_id;
  std::string before_json;  // "" when none
  std::string after_json;
  std::string request_id;
};

// Newest first: chain_seq descending.
struct audit_page {
  std::vector<audit_entry> entries;
  bool more = false;
};

// Usage statistics (GET /api/v1/admin/stats).
struct plan_role_count {
  std::string plan;  // the stored plan (an expired one counts until its downgrade)
  std::string role;
  std::int64_t accounts = 0;
  std::int64_t disabled = 0;
};

struct day_usage {
  std::string day;  // "2026-12-04", UTC
  std::int64_t uploads = 0;
  std::int64_t upload_bytes = 0;
  std::int64_t downloads = 0;
  std::int64_t download_bytes = 0;
  std::int64_t active_users = 0;  // distinct users who did anything the audit trail records
};

struct top_user {
  uuid id;
  std::string email;
  std::string username;
  std::int64_t used_bytes = 0;
  std::int64_t file_count = 0;
};

struct usage_stats {
  std::int64_t accounts = 0;
  std::int64_t bytes_stored = 0;
  std::int64_t files = 0;
  std::vector<plan_role_count> by_plan_and_role;
  std::vector<day_usage> days;  // oldest first, every day of the range (zeros included)
  std::vector<top_user> top_users;
};

class admin_directory {
 public:
  virtual ~admin_directory() = default;

  virtual async<user_page> list_users(user_filter filter, std::optional<user_position> after,
                                      unsigned rows) = 0;
  virtual async<std::optional<user_details>> user(uuid id) = 0;
  // `before_seq`: entries older than this chain position.
  virtual async<audit_page> audit(audit_filter filter, std::optional<std::int64_t> before_seq,
                                  unsigned rows) = 0;
  // Totals now, the last `days` days (today included), and the `top` largest accounts.
  virtual async<usage_stats> usage(unsigned days, unsigned top) = 0;
  // Whether a worker has applied the command with this id (processed_commands).
  virtual async<bool> command_processed(std::string command_id) = 0;
  // A user's own security activity: logins, failed logins, lockouts, logouts, password and
  // API key changes about their account (what GET /api/v1/auth/activity shows them).
  virtual async<audit_page> security_activity(uuid user, std::optional<std::int64_t> before_seq,
                                              unsigned rows) = 0;
};

}  // namespace kemas::ports
