#pragma once
// security_service: a signed-in user's view of their own account's security, behind
// /api/v1/auth/sessions and /api/v1/auth/activity (routes/security.cpp; sessions only):
// their live sessions (where and when each was opened, which one is this), ending one of
// them, and their recent security activity from the audit trail (logins, failed logins,
// lockouts, password and API key changes), newest first and paged.
//
// Errors are values: not_found for a session that is not the caller's (or no longer
// exists), validation_failed for a bad limit or cursor; Redis unreachable is a value, the
// database unreachable throws backend_unavailable.

#include <optional>
#include <string>
#include <vector>

#include "app/services/admin_service.hpp"
#include "domain/ports/admin_directory.hpp"
#include "domain/ports/session_store.hpp"
#include "domain/principal.hpp"
#include "domain/result.hpp"

namespace kemas::app {

struct own_session {
  ports::session_info info;
  bool current = false;  // the session of the request that asked
};

class security_service {
 public:
  security_service(ports::session_store& sessions, ports::admin_directory& directory);

  boost::asio::awaitable<result<std::vector<own_session>>> sessions(const principal& who);
  boost::asio::awaitable<result<void>> end_session(const principal& who, std::string session_id);
  boost::asio::awaitable<result<audit_list>> activity(const principal& who,
                                                      std::optional<std::string> limit,
                                                      std::optional<std::string> cursor);

 private:
  ports::session_store& sessions_;
  ports::admin_directory& directory_;
};

// The opaque cursor of audit pages: base64url("a:<seq>"), and back (nullopt when invalid).
std::string audit_cursor(std::int64_t seq);
std::optional<std::int64_t> parse_audit_cursor(std::string_view cursor);

}  // namespace kemas::app
