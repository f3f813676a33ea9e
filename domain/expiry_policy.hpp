#pragma once
// What an `expire` command does with an account, decided from what the database says under
// the account's row lock (DESIGN.md "Commands and events"; workers/handlers/expire_handler).
// Pure.

#include <chrono>
#include <optional>

#include "domain/rfc3339.hpp"

namespace kemas {

enum class expiry_action {
  downgrade,     // plan_expires_at <= now: plan -> free, files over the free quota locked
  renewed,       // plan_expires_at is later than this command's due_at: a newer expire exists
  already_free,  // no expiry (a free account, or expired by an earlier command)
  not_yet,       // this very expiry, not reached yet by the database's clock: re-delay
};

struct expiry_decision {
  expiry_action action = expiry_action::already_free;
  std::chrono::milliseconds remaining{0};  // not_yet: how long until plan_expires_at
};

// `due`: plan_expires_at <= now() as the database evaluated it (the same comparison as the
// user_limits view, so the delay path and real-time enforcement agree). `expires_at`:
// plan_expires_at rounded UP to the millisecond, nullopt when NULL. `now`: the database's.
expiry_decision decide_expiry(std::optional<timestamp> expires_at, bool due, timestamp due_at,
                              timestamp now) noexcept;

}  // namespace kemas
