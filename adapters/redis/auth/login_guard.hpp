#pragma once
// login_guard: brute-force protection per account, whatever the client IP (step 2).
//
//   kemas:login-fail:{account}  failures counted in a fixed window that starts at the first
//                               failure and lasts auth.login_failure_window
//   kemas:login-lock:{account}  present while the account is locked (auth.lockout_duration)
//
// `account` is the user's uuid, or "u:" + the lower-cased login name when no such user
// exists (so probing unknown names is throttled the same way). The login flow:
//   if (auto left = co_await guard.locked(account); left && *left) -> 429, Retry-After *left
//   verify the password; on failure record_failure(account) (true: emit auth.lockout);
//   on success clear(account).
//
// Atomicity: record_failure is one Lua script (count, and at the limit set the lock and
// clear the count, in one step), so concurrent failures lock exactly once.
// Threading and lifetime: may be shared by all threads; `redis` must outlive the guard and
// every call in flight.
// Errors: values — Redis unreachable gives errc::backend_unavailable "redis is unavailable";
// an account name that is empty or longer than 512 bytes gives errc::validation_failed
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
  // Uses auth.login_failure_limit (at least 1), login_failure_window, lockout_duration
  // (each at least 1 ms).
  login_guard(redis_client& redis, const config::auth_settings& auth);

  // Remaining lock time, or nullopt when the account is not locked.
  boost::asio::awaitable<result<std::optional<std::chrono::milliseconds>>> locked(
      std::string account) override;
  // Counts one failed login. True when this failure reached the limit and locked the
  // account. While the account is locked, failures are not counted (false).
  boost::asio::awaitable<result<bool>> record_failure(std::string account) override;
  // Forgets the account's failures and lifts a lock (successful login, password reset).
  boost::asio::awaitable<result<void>> clear(std::string account) override;

 private:
  redis_client& redis_;
  unsigned limit_;
  std::chrono::milliseconds window_;
  std::chrono::milliseconds lockout_;
};

}  // namespace kemas::redis
