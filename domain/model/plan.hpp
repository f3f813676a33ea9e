#pragma once
// Plans: what an account may store (quota, max file size) and, for a paid plan, for how long.
// 'free' is the fallback every account returns to when a paid plan expires: it cannot be
// deleted, renamed or given a duration, and cannot be bought.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "domain/rfc3339.hpp"

namespace kemas::model {

inline constexpr std::string_view fallback_plan_name = "free";

// A plan's name is its stable key (orders, events, {"package": ...}): 1-32 characters of
// a-z, 0-9, '_' or '-', starting with a letter (the plans table's CHECK).
bool is_plan_name(std::string_view name) noexcept;

// Whether a plan can be bought: not the fallback plan, and it ends (has a duration).
bool is_purchasable(std::string_view name, std::optional<std::int64_t> duration_seconds) noexcept;

struct plan {
  std::int32_t id = 0;
  std::string name;  // the stable key clients buy by ({"package": "premium"})
  std::string display_name;
  std::int64_t quota_bytes = 0;
  std::int64_t max_file_bytes = 0;
  std::int64_t price_cents = 0;
  std::string currency;
  std::optional<std::int64_t> duration_seconds;  // nullopt: never expires (Free)
  bool is_public = true;
  std::int64_t max_share_links = 20;  // live share links an account on this plan may hold
  timestamp created_at{};
  timestamp updated_at{};
};

// What an update changes; an absent member keeps its value. The name is immutable.
struct plan_patch {
  std::optional<std::string> display_name;
  std::optional<std::int64_t> quota_bytes;
  std::optional<std::int64_t> max_file_bytes;
  std::optional<std::int64_t> price_cents;
  std::optional<std::string> currency;
  std::optional<std::optional<std::int64_t>> duration_seconds;  // inner nullopt: never expires
  std::optional<bool> is_public;
  std::optional<std::int64_t> max_share_links;
};

// The plan after a patch and the fields that changed, as the plan.updated event tells them:
// {"before": {"quota_bytes": 1}, "after": {"quota_bytes": 2}} (wire names; "public").
struct plan_change {
  plan next;
  boost::json::object before;
  boost::json::object after;
};
plan_change apply_patch(const plan& current, const plan_patch& patch);

// An owner's usage and the limits of the plan in force now (a paid plan past its expiry
// already counts as free).
struct storage_limits {
  std::uint64_t used_bytes = 0;
  std::uint64_t quota_bytes = 0;
  std::uint64_t max_file_bytes = 0;
};

}  // namespace kemas::model
