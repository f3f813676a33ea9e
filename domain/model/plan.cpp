#include "domain/model/plan.hpp"

#include <algorithm>

#include <boost/json/value_from.hpp>

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

namespace {

boost::json::value json_of(const std::optional<std::int64_t>& duration) {
  return duration ? boost::json::value(*duration) : boost::json::value(nullptr);
}
template <class T>
boost::json::value json_of(const T& value) {
  return boost::json::value_from(value);
}

template <class T>
void apply(const std::optional<T>& wanted, T& field, const char* name, plan_change& change) {
  if (!wanted || *wanted == field)
    return;
  change.before[name] = json_of(field);
  change.after[name] = json_of(*wanted);
  field = *wanted;
}

}  // namespace

plan_change apply_patch(const plan& current, const plan_patch& patch) {
  plan_change change{current, {}, {}};
  auto& p = change.next;
  apply(patch.display_name, p.display_name, "display_name", change);
  apply(patch.quota_bytes, p.quota_bytes, "quota_bytes", change);
  apply(patch.max_file_bytes, p.max_file_bytes, "max_file_bytes", change);
  apply(patch.price_cents, p.price_cents, "price_cents", change);
  apply(patch.currency, p.currency, "currency", change);
  apply(patch.duration_seconds, p.duration_seconds, "duration_seconds", change);
  apply(patch.is_public, p.is_public, "public", change);
  apply(patch.max_share_links, p.max_share_links, "max_share_links", change);
  return change;
}

}  // namespace kemas::model
