#include "app/auth/auth_guard.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>

#include <chrono>

#include "adapters/crypto/jwt.hpp"
#include "adapters/crypto/tokens.hpp"
#include "app/auth/rate_classes.hpp"
#include "app/server/client_ip.hpp"
#include "app/server/cookies.hpp"
#include "app/server/cors.hpp"
#include "app/server/csrf.hpp"
#include "app/server/error_response.hpp"
#include "app/server/rate_limit_headers.hpp"
#include "domain/credentials.hpp"
#include "domain/text.hpp"

namespace kemas::app {
namespace asio = boost::asio;
using http::request_context;
using http::response;

struct auth_guard::impl {
  config::ratelimit_settings limits;
  http::trusted_proxies proxies;
  http::cors_policy cors;
  const crypto::jwt_codec& jwt;
  ports::request_gate& gate;
  ports::api_key_store& keys;
};

namespace {

std::int64_t now_unix() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

response unauthenticated(std::string_view message, const request_context& ctx) {
  auto r = http::error_response(errc::unauthenticated, message, ctx.request_id());
  r.headers.push_back({"WWW-Authenticate", "Bearer realm=\"kemas\""});
  return r;
}

// Rate-limit headers go on whatever response this request ends with (see finish()).
void remember_limit(request_context& ctx, const limit_decision& decision) {
  response carrier;
  http::add_rate_limit_headers(carrier, decision);
  for (auto& h : carrier.headers)
    ctx.add_response_header(std::move(h.name), std::move(h.value));
}

std::optional<std::string_view> credential_after(std::optional<std::string_view> header,
                                                 std::string_view scheme) {
  if (!header || header->size() <= scheme.size() + 1)
    return std::nullopt;
  if (!istarts_with(*header, scheme) || (*header)[scheme.size()] != ' ') {
    return std::nullopt;
  }
  return header->substr(scheme.size() + 1);
}

asio::awaitable<result<principal>> session_principal(auth_guard::impl& g, request_context& ctx,
                                                     std::string_view token) {
  auto claims = g.jwt.verify(token, now_unix());
  if (!claims)
    co_return claims.error();
  const auto user = claims->user_id;
  auto spec = limit_for("general", user.to_string(), g.limits);
  std::optional<std::string> session_id = claims->session_id;  // named: GCC 12 co_await temporaries
  auto answer = co_await g.gate.check(std::move(session_id), std::move(spec));
  if (!answer)
    co_return answer.error();
  remember_limit(ctx, answer->limit);
  if (!answer->session || answer->session->user_id != user) {
    co_return make_error(errc::unauthenticated, "session expired or revoked");
  }
  if (!answer->limit.allowed) {
    auto refused = make_error(errc::rate_limited, "too many requests");
    refused.retry_after_ms = std::max<std::int64_t>(answer->limit.retry_after_ms, 1);
    co_return refused;
  }
  principal who;
  who.user_id = user;
  who.role = answer->session->role;
  who.credential = principal::via::session;
  who.session_id = claims->session_id;
  co_return who;
}

// Order matters: an address that keeps presenting bad keys is refused before any lookup,
// and a key's own limit is charged only once its secret is known to be right (knowing a
// prefix, which is not secret, must not let anyone spend someone else's key).
asio::awaitable<result<principal>> api_key_principal(auth_guard::impl& g, request_context& ctx,
                                                     std::string_view key) {
  const auto invalid = make_error(errc::unauthenticated, "invalid API key");
  const std::string source = http::rate_limit_source(ctx.client_ip());
  auto failures = co_await g.gate.peek(limit_for("apikey_failure", source, g.limits));
  if (!failures)
    co_return failures.error();
  if (!failures->allowed) {
    auto refused = make_error(errc::rate_limited, "too many invalid API keys from this address");
    refused.retry_after_ms = std::max<std::int64_t>(failures->retry_after_ms, 1);
    co_return refused;
  }
  auto fail = [&]() -> asio::awaitable<result<principal>> {
    auto counted = co_await g.gate.hit(limit_for("apikey_failure", source, g.limits));
    if (!counted)
      co_return counted.error();
    co_return invalid;
  };

  const auto parts = parse_api_key(key);
  if (!parts)
    co_return co_await fail();
  std::string prefix(parts->prefix);
  auto found = co_await g.keys.find_by_prefix(prefix);
  if (!found) {
    if (found.error().code != errc::not_found)
      co_return found.error();
    co_return co_await fail();
  }
  const auto& record = found->key;
  const bool secret_matches =
      crypto::constant_time_equal(crypto::sha256_hex(parts->secret), record.secret_hash);
  const auto now =
      std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  if (!secret_matches || record.revoked_at || (record.expires_at && *record.expires_at <= now) ||
      found->owner_disabled) {
    co_return co_await fail();
  }
  auto decision = co_await g.gate.hit(limit_for("apikey", std::move(prefix), g.limits));
  if (!decision)
    co_return decision.error();
  remember_limit(ctx, *decision);
  if (!decision->allowed) {
    auto refused = make_error(errc::rate_limited, "too many requests for this API key");
    refused.retry_after_ms = std::max<std::int64_t>(decision->retry_after_ms, 1);
    co_return refused;
  }
  principal who;
  who.user_id = record.user_id;
  who.role = found->owner_role;
  who.credential = principal::via::api_key;
  who.api_key_id = record.id;
  who.scopes = record.scopes;
  // last_used_at is bookkeeping: never make the request wait for it, and leave it alone
  // while the stamp just read is fresh (the store's own check covers two requests racing).
  if (model::key_use_worth_recording(record, now)) {
    asio::co_spawn(co_await asio::this_coro::executor, g.keys.touch_last_used(record.id),
                   asio::detached);
  }
  co_return who;
}

asio::awaitable<result<principal>> authenticate(auth_guard::impl& g, request_context& ctx) {
  const auto authorization = ctx.header("Authorization");
  if (auto bearer = credential_after(authorization, "Bearer"))
    co_return co_await session_principal(g, ctx, *bearer);
  if (auto key = credential_after(authorization, "ApiKey"))
    co_return co_await api_key_principal(g, ctx, *key);
  if (authorization)
    co_return make_error(errc::unauthenticated, "unsupported Authorization scheme");
  if (auto cookie = http::cookie_value(ctx, http::access_cookie)) {
    if (auto forged = http::check_cookie_request(ctx, g.cors); !forged)
      co_return forged.error();
    co_return co_await session_principal(g, ctx, *cookie);
  }
  co_return make_error(errc::unauthenticated, "authentication required");
}

}  // namespace

auth_guard::auth_guard(const config::settings& settings, const crypto::jwt_codec& jwt,
                       ports::request_gate& gate, ports::api_key_store& keys)
    : impl_(std::make_unique<impl>(
          impl{settings.ratelimit, http::trusted_proxies(settings.http.trusted_proxies),
               http::cors_policy(settings.cors.allowed_origins), jwt, gate, keys})) {}

auth_guard::~auth_guard() = default;

std::optional<response> auth_guard::preflight(request_context& ctx) {
  ctx.set_client_ip(
      http::client_ip(ctx.peer_ip(), ctx.joined_header("X-Forwarded-For"), impl_->proxies));
  return impl_->cors.preflight(ctx);
}

asio::awaitable<std::optional<response>> auth_guard::admit(request_context& ctx,
                                                           const http::route& r) {
  auto& g = *impl_;
  const auto& options = r.options;
  if (options.access.public_route) {
    if (options.limit != http::rate_class::auth)
      co_return std::nullopt;
    auto spec = limit_for("auth", http::rate_limit_source(ctx.client_ip()), g.limits);
    auto decision = co_await g.gate.hit(std::move(spec));
    if (!decision)
      co_return http::error_response(decision.error(), ctx.request_id());
    remember_limit(ctx, *decision);
    if (!decision->allowed)
      co_return http::too_many_requests(*decision, ctx.request_id());
    co_return std::nullopt;
  }

  auto who = co_await authenticate(g, ctx);
  if (!who) {
    if (who.error().code == errc::unauthenticated)
      co_return unauthenticated(who.error().message, ctx);
    co_return http::error_response(who.error(), ctx.request_id());
  }
  if (auto allowed = authorize(*who, options.access); !allowed) {
    co_return http::error_response(allowed.error(), ctx.request_id());
  }
  ctx.set_caller(std::move(*who));
  co_return std::nullopt;
}

void auth_guard::finish(const request_context& ctx, response& res) {
  for (const auto& h : ctx.response_headers()) {
    const bool already = std::ranges::any_of(
        res.headers, [&](const auto& existing) { return existing.name == h.name; });
    if (!already)
      res.headers.push_back(h);
  }
  impl_->cors.decorate(ctx, res);
}

}  // namespace kemas::app
