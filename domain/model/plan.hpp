#pragma once
// Plans: what an account may store (quota, max file size) and, for a paid plan, for how long.
// 'free' is the fallback every account returns to when a paid plan expires: it cannot be
// deleted, renamed or given a duration, and cannot be bought.

#include <cstdint>
#include <optional>
#include <string_view>

namespace kemas::model {

inline constexpr std::string_view fallback_plan_name = "free";

// A plan's name is its stable key (orders, events, {"package": ...}): 1-32 characters of
// a-z, 0-9, '_' or '-', starting with a letter (the plans table's CHECK).
bool is_plan_name(std::string_view name) noexcept;

// Whether a plan can be bought: not the fallback plan, and it ends (has a duration).
bool is_purchasable(std::string_view name, std::optional<std::int64_t> duration_seconds) noexcept;

}  // namespace kemas::model
