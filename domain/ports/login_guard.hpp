#pragma once
// login_guard: failed logins, counted per account *and* source (the client address; IPv6 by
// its /64), so that guessing from one place is stopped without locking the owner out from
// everywhere else, while an account's guesses from all places together stay bounded per hour.
//
//  - A source that fails auth.login_failure_limit times within auth.login_failure_window is
//    blocked for that account for auth.lockout_duration. Other sources are not.
//  - An account that collects auth.account_failure_limit failures within
//    auth.account_failure_window (from any sources) is closed to every source it has not
//    logged in from successfully before, until the window ends. Sources it has logged in
//    from (the last few, for a few months) may still try, each under its own limit.
//
// `account` is the user's uuid, or "u:" + the lower-cased login name when no such user
// exists, so probing unknown names costs the same and is throttled the same way.
// Implemented by adapters/redis (login_guard). Errors are values: the store unreachable is
// backend_unavailable; an account or source that is empty or too long is validation_failed.

#include <chrono>
#include <optional>
#include <string>

#include "domain/ports/async.hpp"
#include "domain/result.hpp"

namespace kemas::ports {

enum class login_failure_outcome {
  counted,          // below every limit
  source_locked,    // this failure locked the source out of the account
  account_limited,  // this failure spent the account's budget (new sources are closed now)
  not_counted,      // the source was already locked: nothing counted
};

class login_guard {
 public:
  virtual ~login_guard() = default;

  // How long `source` must wait before trying `account` again; nullopt when it may try now.
  virtual async<result<std::optional<std::chrono::milliseconds>>> blocked(std::string account,
                                                                         std::string source) = 0;
  // Counts one failed attempt by `source` on `account`.
  virtual async<result<login_failure_outcome>> record_failure(std::string account,
                                                              std::string source) = 0;
  // A successful login: forgets this source's failures and remembers it as one the account
  // is used from (it may still try when the account's budget is spent).
  virtual async<result<void>> record_success(std::string account, std::string source) = 0;
  // Forgets everything about the account, remembered sources included (password reset).
  virtual async<result<void>> clear(std::string account) = 0;
};

}  // namespace kemas::ports
