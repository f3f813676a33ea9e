#include "app/services/api_key_service.hpp"

#include "adapters/crypto/tokens.hpp"
#include "adapters/support/random.hpp"
#include "domain/credentials.hpp"

namespace kemas::app {
namespace asio = boost::asio;

namespace {
constexpr std::size_t name_max = 100;
constexpr int prefix_attempts = 3;  // a 48-bit prefix collides about never; retry anyway

model::event_draft key_event(std::string type, const principal& who, const request_meta& meta) {
  return request_event(std::move(type), meta, who.user_id, "api_key");
}
}  // namespace

api_key_service::api_key_service(const config::auth_settings& auth,
                                 ports::api_key_store& keys)
    : auth_(auth), keys_(keys) {}

asio::awaitable<result<created_api_key>> api_key_service::create(
    const principal& who, std::string name, std::vector<std::string> scopes,
    std::optional<std::int64_t> expires_in_days, request_meta meta) {
  if (name.empty() || name.size() > name_max) {
    co_return make_error(errc::validation_failed, "name must be 1 to 100 characters", "name");
  }
  scope_set granted;
  for (const auto& s : scopes) {
    auto parsed = parse_scope(s);
    if (!parsed)
      co_return make_error(errc::validation_failed, "unknown scope '" + s + "'", "scopes");
    granted.add(*parsed);
  }
  if (granted.empty())
    co_return make_error(errc::validation_failed, "at least one scope is required", "scopes");
  const std::int64_t days = expires_in_days.value_or(auth_.api_key_max_days);
  if (days < 1 || days > static_cast<std::int64_t>(auth_.api_key_max_days)) {
    co_return make_error(errc::validation_failed,
                         "expires_in_days must be 1 to " + std::to_string(auth_.api_key_max_days),
                         "expires_in_days");
  }
  const auto expires_at =
      std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now()) +
      std::chrono::days(days);

  for (int attempt = 1;; ++attempt) {
    const std::string prefix = support::random_hex(api_key_prefix_length / 2);
    const std::string secret = crypto::random_token();
    boost::json::object details{
        {"name", name}, {"prefix", prefix}, {"scopes", boost::json::value_from(granted.names())}};
    auto event = key_event("apikey.created", who, meta);
    event.data = std::move(details);
    std::string secret_hash = crypto::sha256_hex(secret);
    auto stored = co_await keys_.create(who.user_id, name, prefix, std::move(secret_hash), granted,
                                        expires_at, std::move(event));
    if (stored)
      co_return created_api_key{std::move(*stored), format_api_key(prefix, secret)};
    if (stored.error().field != "prefix" || attempt == prefix_attempts)
      co_return stored.error();
  }
}

asio::awaitable<std::vector<model::api_key>> api_key_service::list(const principal& who) {
  co_return co_await keys_.list_for_user(who.user_id);
}

asio::awaitable<result<void>> api_key_service::revoke(const principal& who, std::string key_id,
                                                      request_meta meta) {
  const auto id = uuid::parse(key_id);
  if (!id)
    co_return make_error(errc::not_found, "no such API key");
  auto event = key_event("apikey.revoked", who, meta);
  event.subject_id = key_id;
  auto revoked = co_await keys_.revoke(who.user_id, *id, std::move(event));
  if (!revoked)
    co_return revoked.error();
  co_return result<void>{};
}

}  // namespace kemas::app
