#include "domain/expiry_policy.hpp"

#include <algorithm>

namespace kemas {

expiry_decision decide_expiry(std::optional<timestamp> expires_at, bool due, timestamp due_at,
                              timestamp now) noexcept {
  if (!expires_at)
    return {expiry_action::already_free, {}};
  if (due)
    return {expiry_action::downgrade, {}};
  if (*expires_at > due_at)
    return {expiry_action::renewed, {}};
  // This command's own expiry, and the database's clock has not reached it (the worker's
  // clock runs ahead of it): wait for what is left, at least a millisecond.
  return {expiry_action::not_yet, std::max(std::chrono::milliseconds(1), *expires_at - now)};
}

}  // namespace kemas
