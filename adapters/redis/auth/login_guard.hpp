#pragma once
// login_guard: failed logins per account and source in Redis (domain/ports/login_guard.hpp
// says what is limited; this says how it is stored).
//
//   kemas:login:{account}        hash: "a" = account failures "count:window_start_ms";
//                                "f:{source}" = that source's failures, same form;
//                                "l:{source}" = epoch ms until which the source is locked.
//                                Expires with the longest of the windows and the lockout.
//   kemas:login-known:{account}  sorted set: sources the account logged in from, scored by
//                                the last success; the newest known_sources_kept, for
//                                known_source_ttl after the last success.
//
// Bounded memory: a hash holds at most max_sources_tracked source fields besides "a" (stale
// ones are pruned when it is full); sources beyond that, unless remembered, share the
// bucket "*" (its two fields may come on top).
// Time is Redis's (TIME). Every call is one Lua script: one round trip, one atomic step, so
// concurrent failures lock exactly once.
// Threading and lifetime: may be shared by all threads; `redis` must outlive the guard and
// every call in flight.
// Errors: values — Redis unreachable gives errc::backend_unavailable; an account name longer
// than 512 bytes or a source longer than 128 (or either empty) gives errc::validation_failed
// (field "login") without a Redis call; an unexpected reply errc::internal.

#include <chrono>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "adapters/config/settings.hpp"
#include "domain/ports/login_guard.hpp"
#include "domain/result.hpp"

namespace kemas::redis {

class redis_client;

class login_guard final : public ports::login_guard {
 public:
  static constexpr unsigned max_sources_tracked = 256;
  static constexpr unsigned known_sources_kept = 16;
  static constexpr std::chrono::milliseconds known_source_ttl{90LL * 24 * 3600 * 1000};

  // Uses auth.login_failure_limit, login_failure_window, lockout_duration,
  // account_failure_limit and account_failure_window (limits at least 1, times at least 1 ms).
  login_guard(redis_client& redis, const config::auth_settings& auth);

  boost::asio::awaitable<result<std::optional<std::chrono::milliseconds>>> blocked(
      std::string account, std::string source) override;
  boost::asio::awaitable<result<ports::login_failure_outcome>> record_failure(
      std::string account, std::string source) override;
  boost::asio::awaitable<result<void>> record_success(std::string account,
                                                      std::string source) override;
  boost::asio::awaitable<result<void>> clear(std::string account) override;

 private:
  redis_client& redis_;
  unsigned limit_;
  std::chrono::milliseconds window_;
  std::chrono::milliseconds lockout_;
  unsigned account_limit_;
  std::chrono::milliseconds account_window_;
};

}  // namespace kemas::redis
