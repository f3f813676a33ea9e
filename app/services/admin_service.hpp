#pragma once
// admin_service: what admins do with other people's accounts and read from the audit trail,
// behind /api/v1/admin/users* and /api/v1/admin/audit (routes/admin.cpp; role admin, sessions
// only). Listings come from ports::admin_directory, changes go through ports::user_store with
// their events (actor = the admin, before/after filled by the store), sessions end through
// ports::session_store.
//
// A plan change is the worker's (it locks or unlocks files to fit the new quota): the api
// checks the plan exists, queues an `assign-plan` command (domain/commands/assign_plan.hpp)
// and waits up to upload.wait for its commit, then answers with the account as it is (or
// plan_pending when the wait ran out).
// Rules: a disabled account's sessions end at once (its API keys stop at their next request:
// the key lookup reads the owner's state); a role change ends the sessions too (a session
// keeps the role it was opened with). An admin cannot change their own role or disable
// themselves (409): the last admin cannot lock everyone out by accident.
// Errors are values: validation_failed naming the parameter, not_found, conflict; the
// database unreachable throws backend_unavailable (503), Redis unreachable is a value.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "app/services/account_service.hpp"
#include "app/services/command_sender.hpp"
#include "domain/ports/admin_directory.hpp"
#include "domain/ports/plan_store.hpp"
#include "domain/ports/session_store.hpp"
#include "domain/ports/settle_signals.hpp"
#include "domain/ports/user_store.hpp"
#include "domain/principal.hpp"
#include "domain/result.hpp"

namespace kemas::app {

struct user_list_request {
  std::optional<std::string> query, role, plan, disabled, limit, cursor;
};

struct user_list {
  std::vector<ports::user_summary> users;
  std::optional<std::string> next_cursor;
};

struct user_view {
  ports::user_details details;
  std::vector<ports::session_info> sessions;
  bool plan_pending = false;  // a plan change was queued and not applied within upload.wait
};

struct user_update {
  std::optional<std::string> role;
  std::optional<bool> disabled;
  std::optional<std::string> plan;
  // Only with `plan`: absent or null = the plan does not end; else an RFC 3339 time ahead.
  std::optional<std::string> plan_expires_at;
};

struct audit_request {
  std::optional<std::string> actor, action, target_type, target_id, request_id, from, to, limit,
      cursor;
};

struct audit_list {
  std::vector<ports::audit_entry> entries;
  std::optional<std::string> next_cursor;
};

class admin_service {
 public:
  static constexpr unsigned default_page = 50;
  static constexpr unsigned max_page = 200;

  admin_service(ports::admin_directory& directory, ports::user_store& users,
                ports::session_store& sessions, account_service& accounts, ports::plan_store& plans,
                command_sender& commands, ports::settle_signals& signals,
                std::chrono::milliseconds wait);

  boost::asio::awaitable<result<user_list>> list_users(user_list_request request);
  // `id` as it came in the path: anything but a known user's id is not_found.
  boost::asio::awaitable<result<user_view>> user(std::string id);
  boost::asio::awaitable<result<user_view>> update_user(const principal& admin, std::string id,
                                                        user_update change, request_meta meta);
  // Sends the user a password-reset mail (as if they had asked).
  boost::asio::awaitable<result<void>> send_reset(std::string id, request_meta meta);
  boost::asio::awaitable<result<audit_list>> audit(audit_request request);
  // For the streamed export: the filter of a request (validation_failed naming the
  // parameter), then its pages one by one, newest first.
  static result<ports::audit_filter> audit_filter_of(const audit_request& request);
  boost::asio::awaitable<ports::audit_page> audit_page(ports::audit_filter filter,
                                                       std::optional<std::int64_t> before,
                                                       unsigned rows);
  // `days`: 1..366 (default 30) days back from today, UTC; the 10 largest accounts.
  boost::asio::awaitable<result<ports::usage_stats>> usage(std::optional<std::string> days);

 private:
  boost::asio::awaitable<result<user_view>> view(const uuid& id);

  ports::admin_directory& directory_;
  ports::user_store& users_;
  boost::asio::awaitable<result<bool>> assign_plan(const principal& admin, const uuid& user,
                                                   const std::string& plan,
                                                   std::optional<timestamp> expires_at,
                                                   const request_meta& meta);

  ports::session_store& sessions_;
  account_service& accounts_;
  ports::plan_store& plans_;
  command_sender& commands_;
  ports::settle_signals& signals_;
  std::chrono::milliseconds wait_;
};

}  // namespace kemas::app
