#include "app/services/plan_service.hpp"

#include "domain/utf8.hpp"

#include <algorithm>
#include <charconv>

#include "domain/model/plan.hpp"

namespace kemas::app {
namespace asio = boost::asio;
using model::plan;

namespace {

// Ten years: a longer "duration" is a typo, and keeps now() + duration far from overflow.
constexpr std::int64_t max_duration_seconds = 10LL * 366 * 24 * 3600;

error invalid(std::string field, std::string message) {
  return make_error(errc::validation_failed, std::move(message), std::move(field));
}

result<std::int32_t> parse_plan_id(std::string_view text) {
  std::int32_t id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc{} || end != text.data() + text.size() || id <= 0)
    return make_error(errc::not_found, "no such plan");
  return id;
}

model::event_draft plan_event(std::string type, const principal& admin, const request_meta& meta) {
  return request_event(std::move(type), meta, admin.user_id);
}

}  // namespace

result<void> validate_plan_input(const plan_input& in) {
  if (in.name && !model::is_plan_name(*in.name)) {
    return invalid("name",
                   "name must be 1-32 characters of a-z, 0-9, '_' or '-', starting with a letter");
  }
  if (in.fields.display_name) {
    const auto length = utf8_length(*in.fields.display_name);
    if (length < 1 || length > 100)
      return invalid("display_name", "display_name must be 1 to 100 characters");
  }
  if (in.fields.quota_bytes && *in.fields.quota_bytes < 0)
    return invalid("quota_bytes", "quota_bytes must not be negative");
  if (in.fields.max_file_bytes && *in.fields.max_file_bytes <= 0)
    return invalid("max_file_bytes", "max_file_bytes must be positive");
  if (in.fields.max_share_links &&
      (*in.fields.max_share_links < 0 || *in.fields.max_share_links > 1'000'000))
    return invalid("max_share_links", "max_share_links must be 0 to 1000000");
  if (in.fields.price_cents && *in.fields.price_cents < 0)
    return invalid("price_cents", "price_cents must not be negative");
  if (in.fields.currency) {
    const std::string& c = *in.fields.currency;
    if (c.size() != 3 ||
        !std::all_of(c.begin(), c.end(), [](char x) { return x >= 'A' && x <= 'Z'; }))
      return invalid("currency", "currency must be a three-letter ISO 4217 code such as USD");
  }
  if (const auto duration = in.fields.duration_seconds.value_or(std::nullopt);
      duration && (*duration <= 0 || *duration > max_duration_seconds)) {
    return invalid("duration_seconds",
                   "duration_seconds must be null (never expires) or 1 second to 10 years");
  }
  return {};
}

asio::awaitable<std::vector<model::plan>> plan_service::catalog() {
  if (auto cached = catalog_cache_.fresh())
    co_return std::move(*cached);
  if (!catalog_cache_.begin_refresh()) {
    if (auto stale = catalog_cache_.latest())
      co_return std::move(*stale);
    co_return co_await plans_.list(true);  // before the first answer: no cache to share yet
  }
  try {
    auto listed = co_await plans_.list(true);
    catalog_cache_.store(listed);
    co_return listed;
  } catch (...) {
    catalog_cache_.abandon();
    throw;
  }
}

asio::awaitable<std::vector<model::plan>> plan_service::all() {
  co_return co_await plans_.list(false);
}

asio::awaitable<result<model::plan>> plan_service::get(std::string_view id) {
  auto key = parse_plan_id(id);
  if (!key)
    co_return key.error();
  co_return co_await plans_.find(*key);
}

asio::awaitable<result<model::plan>> plan_service::create(const principal& admin, plan_input in,
                                                          request_meta meta) {
  if (auto valid = validate_plan_input(in); !valid)
    co_return valid.error();
  for (const auto& [given, field] :
       {std::pair{in.name.has_value(), "name"},
        std::pair{in.fields.display_name.has_value(), "display_name"},
        std::pair{in.fields.quota_bytes.has_value(), "quota_bytes"},
        std::pair{in.fields.max_file_bytes.has_value(), "max_file_bytes"}}) {
    if (!given)
      co_return invalid(field, std::string(field) + " is required");
  }
  const auto duration = in.fields.duration_seconds.value_or(std::nullopt);
  if (*in.name == model::fallback_plan_name && duration)
    co_return invalid("duration_seconds", "the free plan never expires");
  ports::plan_fields fields;
  fields.name = std::move(*in.name);
  fields.display_name = std::move(*in.fields.display_name);
  fields.quota_bytes = *in.fields.quota_bytes;
  fields.max_file_bytes = *in.fields.max_file_bytes;
  fields.price_cents = in.fields.price_cents.value_or(0);
  fields.currency = in.fields.currency.value_or("USD");
  fields.duration_seconds = duration;
  fields.is_public = in.fields.is_public.value_or(true);
  fields.max_share_links = in.fields.max_share_links.value_or(fields.max_share_links);
  auto event = plan_event("plan.created", admin, meta);
  auto created = co_await plans_.create(std::move(fields), std::move(event));
  catalog_cache_.invalidate();
  co_return created;
}

asio::awaitable<result<model::plan>> plan_service::update(const principal& admin,
                                                          std::string_view id, plan_input in,
                                                          request_meta meta) {
  auto key = parse_plan_id(id);
  if (!key)
    co_return key.error();
  if (auto valid = validate_plan_input(in); !valid)
    co_return valid.error();
  if (in.name) {
    // Renaming would re-point every {"package": ...} and past order; a same-name echo is fine.
    auto current = co_await plans_.find(*key);
    if (!current)
      co_return current.error();
    if (current->name != *in.name)
      co_return invalid("name", "a plan's name cannot change; create a new plan instead");
  }
  auto event = plan_event("plan.updated", admin, meta);
  auto updated = co_await plans_.update(*key, std::move(in.fields), std::move(event));
  catalog_cache_.invalidate();
  co_return updated;
}

asio::awaitable<result<void>> plan_service::remove(const principal& admin, std::string_view id,
                                                   request_meta meta) {
  auto key = parse_plan_id(id);
  if (!key)
    co_return key.error();
  auto event = plan_event("plan.deleted", admin, meta);
  auto removed = co_await plans_.remove(*key, std::move(event));
  catalog_cache_.invalidate();
  co_return removed;
}

}  // namespace kemas::app
