#pragma once
// login_guard: failed logins per account and the lockout they lead to (auth.login_failure_*,
// auth.lockout_duration). Implemented by adapters/redis (login_guard) and in memory.
// Errors are values: the store unreachable is backend_unavailable.

#include <chrono>
#include <optional>
#include <string>

#include "domain/ports/async.hpp"
#include "domain/result.hpp"

namespace kemas::ports {

class login_guard {
 public:
  virtual ~login_guard() = default;

  // Remaining lock time, or nullopt when the account is not locked.
  virtual async<result<std::optional<std::chrono::milliseconds>>> locked(std::string account) = 0;
  // Counts one failed login. True when this failure reached the limit and locked the account.
  // While the account is locked, failures are not counted (false).
  virtual async<result<bool>> record_failure(std::string account) = 0;
  // Forgets the account's failures and lifts a lock (successful login, password reset).
  virtual async<result<void>> clear(std::string account) = 0;
};

}  // namespace kemas::ports
