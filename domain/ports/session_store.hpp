#pragma once
// session_store: login sessions (DESIGN.md "Redis"). A session has an id (the access token's
// `sid`) and a refresh token "<sid>.<secret>" handed to the client once; refreshing rotates
// the secret, and presenting an old one again revokes the whole session (reuse detection;
// a secret the session never had is just invalid). A session ends auth.refresh_ttl after its
// last refresh or auth.session_max_lifetime after its login, whichever comes first; a user
// has at most auth.sessions_per_user (a new login ends the least recently used beyond it).
// Implemented by adapters/redis (session_store) and in memory for unit tests.
//
// Errors are values: the store unreachable is backend_unavailable.

#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "domain/account.hpp"
#include "domain/ports/async.hpp"
#include "domain/result.hpp"
#include "domain/uuid.hpp"

namespace kemas::ports {

struct new_session {
  std::string session_id;     // 32 lower-hex: the JWT's sid claim
  std::string refresh_token;  // "<sid>.<secret>": give to the client, never store
  std::size_t sessions_ended = 0;  // older sessions ended to stay within the per-user cap
};

struct session_rotated {
  std::string session_id;
  uuid user_id;
  kemas::role role = role::user;
  std::string refresh_token;  // the new one; the presented one is now dead
};
struct refresh_reused {  // the session existed and has been deleted
  std::string session_id;
  uuid user_id;  // for the audit event
};
struct refresh_unknown {};  // no such session, past its lifetime, or a secret it never had
// A live session, as the user's session list shows it.
struct session_info {
  std::string session_id;
  std::int64_t created_ms = 0;    // epoch milliseconds
  std::string ip;                 // where it was opened; "" when unknown
  std::string device;             // the User-Agent it was opened with; "" when unknown
  std::int64_t last_seen_ms = 0;  // its last login or refresh (an active client refreshes at
                                  // least every auth.access_ttl)
};  // expired, logged out, revoked, or malformed token
using rotate_result = std::variant<session_rotated, refresh_reused, refresh_unknown>;

class session_store {
 public:
  virtual ~session_store() = default;

  // Starts a session; `ip` and `device` (the client's User-Agent, at most 256 characters) are
  // recorded for the user's session list (either may be empty).
  virtual async<result<new_session>> create(uuid user_id, kemas::role role, std::string ip,
                                            std::string device = {}) = 0;
  virtual async<result<rotate_result>> rotate(std::string refresh_token) = 0;
  // Ends one session; true when it existed.
  virtual async<result<bool>> revoke(std::string session_id) = 0;
  // Ends every session of the user; returns how many there were.
  virtual async<result<std::size_t>> revoke_all(uuid user_id) = 0;
  // Ends every session of the user except keep_session_id (after a password change).
  virtual async<result<std::size_t>> revoke_all_except(uuid user_id,
                                                       std::string keep_session_id) = 0;
  virtual async<result<bool>> exists(std::string session_id) = 0;
  // The user's live sessions (expired ones are left out), newest first.
  virtual async<result<std::vector<session_info>>> list(uuid user_id) = 0;
};

}  // namespace kemas::ports
