#include "domain/model/plan.hpp"

#include <algorithm>

namespace kemas::model {

bool is_plan_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > 32 || name[0] < 'a' || name[0] > 'z')
    return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

bool is_purchasable(std::string_view name, std::optional<std::int64_t> duration_seconds) noexcept {
  return name != fallback_plan_name && duration_seconds && *duration_seconds > 0;
}

}  // namespace kemas::model
