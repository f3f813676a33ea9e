// A user's billing (see billing.hpp): upgrade, subscription, order history. Sessions only:
// buying is an account owner's act, not something an API key does.
// Upgrade answers: 200 {"subscription", "order"} once the worker committed a paid order
// within upload.wait; 402 `order_failed` with the order when it committed a failed one; 202
// {"order": {"id", "state": "pending"}} + Location of the order when the wait ran out or the
// client sent Prefer: respond-async. An unknown package is 404 `unknown_plan`.

#include <boost/json/array.hpp>

#include "app/routes/access.hpp"
#include "app/routes/billing.hpp"
#include "app/routes/command_requests.hpp"
#include "app/routes/json_body.hpp"
#include "app/routes/render.hpp"
#include "app/server/error_response.hpp"
#include "app/services/billing_service.hpp"
#include "domain/rfc3339.hpp"

namespace kemas::http {
namespace asio = boost::asio;

namespace {

std::string order_location(const uuid& id) {
  return "/api/v1/auth/billing/orders/" + id.to_string();
}

// The upgrade's errors: an unknown package gets its own code so clients can tell it from a
// missing order or route.
response upgrade_error(const error& e, std::string_view request_id) {
  if (e.code == errc::not_found && e.field == "package")
    return response::json(404, error_body("unknown_plan", e.message, request_id, "package"));
  return error_response(e, request_id);
}

asio::awaitable<result<response>> upgrade(app::billing_service& billing, request_context& ctx) {
  auto body = co_await read_json_object(ctx);
  if (!body)
    co_return body.error();
  auto package = string_field(*body, "package");
  if (!package)
    co_return package.error();
  const bool respond_async = prefers_async(ctx);
  app::command_origin origin = origin_of(ctx);
  auto outcome =
      co_await billing.upgrade(ctx.who(), std::move(*package), respond_async, std::move(origin));
  if (!outcome)
    co_return upgrade_error(outcome.error(), ctx.request_id());

  if (!outcome->order) {
    boost::json::object pending{{"id", outcome->order_id.to_string()}, {"state", "pending"}};
    auto r = json_response(202, boost::json::object{{"order", std::move(pending)}});
    r.with_header("Location", order_location(outcome->order_id));
    if (respond_async)
      r.with_header("Preference-Applied", "respond-async");
    co_return r;
  }
  const auto& order = *outcome->order;
  if (order.state != "paid") {
    boost::json::object inner{{"code", "order_failed"},
                              {"message", "the order failed: " + order.reason},
                              {"request_id", ctx.request_id()}};
    auto r = json_response(
        402, boost::json::object{{"error", std::move(inner)}, {"order", order_json(order)}});
    r.with_header("Location", order_location(order.id));
    co_return r;
  }
  boost::json::object out{{"order", order_json(order)}};
  if (outcome->subscription)
    out["subscription"] = subscription_json(*outcome->subscription);
  co_return json_response(200, out);
}

asio::awaitable<result<response>> get_subscription(app::billing_service& billing,
                                                   request_context& ctx) {
  auto found = co_await billing.subscription(ctx.who());
  if (!found)
    co_return found.error();
  co_return json_response(200, subscription_json(*found));
}

asio::awaitable<result<response>> list_orders(app::billing_service& billing, request_context& ctx) {
  auto limit = ctx.query_param("limit");
  auto cursor = ctx.query_param("cursor");
  auto page = co_await billing.orders(ctx.who(), std::move(limit), std::move(cursor));
  if (!page)
    co_return page.error();
  co_return json_response(200, page_json("orders", page->orders, page->next_cursor, order_json));
}

asio::awaitable<result<response>> get_order(app::billing_service& billing, request_context& ctx) {
  auto found = co_await billing.order(ctx.who(), ctx.path_param("id"));
  if (!found)
    co_return found.error();
  co_return json_response(200, order_json(*found));
}

}  // namespace

boost::json::object subscription_json(const model::subscription& s) {
  return {{"plan", s.plan},
          {"plan_display_name", s.plan_display_name},
          {"expires_at", time_or_null(s.expires_at)},
          {"used_bytes", s.used_bytes},
          {"quota_bytes", s.quota_bytes},
          {"max_file_bytes", s.max_file_bytes},
          {"expired", s.expired}};
}

boost::json::object order_json(const model::order& order) {
  const timestamp created{std::chrono::milliseconds(order.created_us / 1000)};
  boost::json::object out{{"id", order.id.to_string()},
                          {"plan", order.plan},
                          {"amount_cents", order.amount_cents},
                          {"currency", order.currency},
                          {"state", order.state},
                          {"reason", nullptr},
                          {"expires_at", time_or_null(order.expires_at)},
                          {"created_at", format_rfc3339(created)}};
  if (!order.reason.empty())
    out["reason"] = order.reason;
  return out;
}

void add_billing_routes(router& routes, app::billing_service& billing) {
  routes.add(method::post, "/api/v1/auth/billing/upgrade", access::session_only,
             serve(billing, upgrade));
  routes.add(method::get, "/api/v1/auth/billing/subscription", access::session_only,
             serve(billing, get_subscription));
  routes.add(method::get, "/api/v1/auth/billing/orders", access::session_only,
             serve(billing, list_orders));
  routes.add(method::get, "/api/v1/auth/billing/orders/{id}", access::session_only,
             serve(billing, get_order));
}

}  // namespace kemas::http
