#pragma once
// session_store: login sessions in Redis (DESIGN.md "Redis", step 2 contract).
//
//   kemas:session:{sid}        hash uid, role, rh (SHA-256 hex of the refresh secret),
//                              created_ms, ip, ua (User-Agent), seen_ms (last login or
//                              refresh) — TTL auth.refresh_ttl, reset on rotation
//   kemas:user-sessions:{uid}  set of the user's sids (for logout-all), TTL refresh_ttl
//                              from the last create or rotation, so never shorter than
//                              any of its sessions'
//
// The refresh token handed to the client is "<sid>.<secret>" (domain/credentials.hpp);
// only SHA-256(secret) is stored. rotate() is a compare-and-swap of that hash in one Lua
// script: the current secret gets a new one; any other secret for a live session is a
// reused (stolen or replayed) token and deletes the whole session. Every operation is one
// atomic script or command, so concurrent calls serialise in Redis. Two concurrent
// rotations with the same token: one wins, the other sees `reused` and the session ends
// (strict reuse detection; clients must not refresh in parallel).
//
// Threading and lifetime: stateless apart from the client reference and settings; may be
// shared by all threads. `redis` must outlive the store and every call in flight.
// Errors: values, never thrown for Redis trouble — Redis unreachable gives
// errc::backend_unavailable "redis is unavailable", an unexpected reply errc::internal.
// std::bad_alloc, and std::runtime_error if the CSPRNG fails, may escape.

#include <chrono>
#include <cstddef>
#include <string>
#include <variant>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "adapters/config/settings.hpp"
#include "domain/account.hpp"
#include "domain/ports/session_store.hpp"
#include "domain/result.hpp"
#include "domain/uuid.hpp"

namespace kemas::redis {

class redis_client;

using ports::new_session;
using ports::refresh_reused;
using ports::refresh_unknown;
using ports::rotate_result;
using ports::session_rotated;

class session_store final : public ports::session_store {
 public:
  // Uses auth.refresh_ttl (whole milliseconds; at least 1 s), auth.session_max_lifetime and
  // auth.sessions_per_user.
  session_store(redis_client& redis, const config::auth_settings& auth);

  // Starts a session; `ip` is recorded for the user's session list (may be empty). Also
  // forgets the sids of the user's sessions that expired on their own, and ends the least
  // recently used ones beyond auth.sessions_per_user.
  boost::asio::awaitable<result<new_session>> create(uuid user_id, kemas::role role,
                                                     std::string ip,
                                                     std::string device = {}) override;
  boost::asio::awaitable<result<rotate_result>> rotate(std::string refresh_token) override;
  // Ends one session; true when it existed. Malformed ids: false, no Redis call.
  boost::asio::awaitable<result<bool>> revoke(std::string session_id) override;
  // Ends every session of the user; returns how many there were.
  boost::asio::awaitable<result<std::size_t>> revoke_all(uuid user_id) override;
  // One script: the live sessions of the user's set, newest first.
  boost::asio::awaitable<result<std::vector<ports::session_info>>> list(uuid user_id) override;
  // Ends every session of the user except keep_session_id (after a password change).
  boost::asio::awaitable<result<std::size_t>> revoke_all_except(uuid user_id,
                                                                std::string keep_session_id) override;
  boost::asio::awaitable<result<bool>> exists(std::string session_id) override;

 private:
  redis_client& redis_;
  std::chrono::milliseconds ttl_;       // auth.refresh_ttl: idle lifetime, renewed by refresh
  std::chrono::milliseconds lifetime_;  // auth.session_max_lifetime: from login, never renewed
  unsigned per_user_;                   // auth.sessions_per_user
};

}  // namespace kemas::redis
