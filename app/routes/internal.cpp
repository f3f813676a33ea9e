// POST /api/v1/internal/scheduler/check-expired-packages (the original service's cron hook):
// publishes an `expire-sweep` and answers 202; the worker finds the due accounts and
// applies one `expire` each, a page per transaction. Kept for external schedulers; kemas' own scheduler role does
// the same every expiry.sweep_interval.
//
// Guard: the internal token (internal.token / KEMAS_INTERNAL_TOKEN) in `X-Internal-Token` or
// `Authorization: Bearer <token>`, compared in constant time; 401 without it or with another,
// 503 when no token is configured (the route is then closed, not open). No account is
// involved; the route counts against the `auth` rate limit per client IP, which bounds
// guessing.

#include <boost/json/object.hpp>

#include "adapters/crypto/tokens.hpp"
#include "app/routes/access.hpp"
#include "app/routes/billing.hpp"
#include "app/routes/json_body.hpp"
#include "app/server/error_response.hpp"
#include "app/services/billing_service.hpp"
#include "domain/text.hpp"

namespace kemas::http {
namespace asio = boost::asio;

namespace {

std::optional<std::string_view> presented_token(const request_context& ctx) {
  if (auto header = ctx.header("X-Internal-Token"))
    return *header;
  auto authorization = ctx.header("Authorization");
  constexpr std::string_view scheme = "bearer ";
  if (!authorization || authorization->size() <= scheme.size() ||
      !istarts_with(*authorization, scheme))
    return std::nullopt;
  return authorization->substr(scheme.size());
}

response refused(std::string_view message, const request_context& ctx) {
  auto r = error_response(errc::unauthenticated, message, ctx.request_id());
  r.with_header("WWW-Authenticate", "Bearer realm=\"kemas-internal\"");
  return r;
}

asio::awaitable<result<response>> check_expired(app::billing_service& billing,
                                                const config::internal_settings& internal,
                                                request_context& ctx) {
  if (internal.token.empty()) {
    co_return error_response(errc::backend_unavailable,
                             "the internal API is disabled: no internal token is configured",
                             ctx.request_id());
  }
  const auto token = presented_token(ctx);
  if (!token)
    co_return refused("the internal token is required", ctx);
  // Hashes first: equal lengths, so not even the token's length leaks through timing.
  if (!crypto::constant_time_equal(crypto::sha256_hex(*token), crypto::sha256_hex(internal.token)))
    co_return refused("invalid internal token", ctx);
  std::string request_id = ctx.request_id();  // named: GCC 12 co_await temporaries
  std::string client_ip = ctx.client_ip();
  auto sent = co_await billing.request_sweep(std::move(request_id), std::move(client_ip));
  if (!sent)
    co_return sent.error();
  co_return json_response(202, boost::json::object{{"status", "accepted"}, {"command_id", *sent}});
}

}  // namespace

void add_internal_routes(router& routes, app::billing_service& billing,
                         const config::internal_settings& internal) {
  routes.add(method::post, "/api/v1/internal/scheduler/check-expired-packages", access::public_auth,
             [&billing, &internal](request_context& ctx) {
               return check_expired(billing, internal, ctx);
             });
}

}  // namespace kemas::http
