#pragma once
// Billing: the orders an account placed (written by the worker's `upgrade`, with the id the
// api chose) and the subscription in force now.

#include <cstdint>
#include <optional>
#include <string>

#include "domain/rfc3339.hpp"
#include "domain/uuid.hpp"

namespace kemas::model {

struct order {
  uuid id;
  std::string plan;  // the plan's name bought
  std::int64_t amount_cents = 0;
  std::string currency;
  std::string state;                    // pending | paid | failed | refunded
  std::string reason;                   // failed only
  std::optional<timestamp> expires_at;  // the subscription end this order bought
  // Microseconds since the epoch (the column's precision): the cursor round-trips exactly.
  std::int64_t created_us = 0;
};

// The plan in force now: a paid plan past its plan_expires_at is already the free plan here
// (expired = true) even before the `expire` command downgraded the account.
struct subscription {
  std::string plan;
  std::string plan_display_name;
  std::optional<timestamp> expires_at;  // plan_expires_at as stored
  std::int64_t used_bytes = 0;
  std::int64_t quota_bytes = 0;
  std::int64_t max_file_bytes = 0;
  bool expired = false;
};

}  // namespace kemas::model
