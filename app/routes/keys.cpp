// POST|GET /api/v1/auth/keys and DELETE /api/v1/auth/keys/{id}: a user's API keys. Session
// credentials only — an API key can never create, list or revoke keys.

#include <boost/json/array.hpp>

#include "app/routes/accounts.hpp"
#include "app/routes/json_body.hpp"
#include "app/routes/render.hpp"
#include "app/server/error_response.hpp"
#include "app/services/api_key_service.hpp"

namespace kemas::http {
namespace asio = boost::asio;

namespace {

const route_options session_only{access_rule::signed_in(), rate_class::general, false};

asio::awaitable<response> create_key(app::api_key_service& keys, request_context& ctx) {
  auto body = co_await read_json_object(ctx);
  if (!body)
    co_return error_response(body.error(), ctx.request_id());
  auto name = string_field(*body, "name");
  if (!name)
    co_return error_response(name.error(), ctx.request_id());
  auto days = optional_int_field(*body, "expires_in_days");
  if (!days)
    co_return error_response(days.error(), ctx.request_id());
  std::vector<std::string> scopes;
  const auto* listed = body->if_contains("scopes");
  if (listed == nullptr || !listed->is_array()) {
    co_return error_response(
        make_error(errc::validation_failed, "scopes must be an array of strings", "scopes"),
        ctx.request_id());
  }
  for (const auto& s : listed->as_array()) {
    if (!s.is_string()) {
      co_return error_response(
          make_error(errc::validation_failed, "scopes must be an array of strings", "scopes"),
          ctx.request_id());
    }
    scopes.emplace_back(s.as_string());
  }
  auto meta = meta_of(ctx);
  auto created =
      co_await keys.create(ctx.who(), std::move(*name), std::move(scopes), *days, std::move(meta));
  if (!created)
    co_return error_response(created.error(), ctx.request_id());
  boost::json::object out{{"key", created->key}, {"api_key", api_key_json(created->record)}};
  co_return json_response(201, out);
}

asio::awaitable<response> list_keys(app::api_key_service& keys, request_context& ctx) {
  auto all = co_await keys.list(ctx.who());
  boost::json::array items;
  for (const auto& k : all)
    items.push_back(api_key_json(k));
  co_return json_response(200, boost::json::object{{"api_keys", std::move(items)}});
}

asio::awaitable<response> revoke_key(app::api_key_service& keys, request_context& ctx) {
  auto meta = meta_of(ctx);
  std::string id(ctx.path_param("id"));
  auto done = co_await keys.revoke(ctx.who(), std::move(id), std::move(meta));
  if (!done)
    co_return error_response(done.error(), ctx.request_id());
  co_return response::empty(204);
}

}  // namespace

void add_key_routes(router& routes, app::api_key_service& keys) {
  routes.add(method::post, "/api/v1/auth/keys", session_only,
             [&keys](request_context& ctx) { return create_key(keys, ctx); });
  routes.add(method::get, "/api/v1/auth/keys", session_only,
             [&keys](request_context& ctx) { return list_keys(keys, ctx); });
  routes.add(method::delete_, "/api/v1/auth/keys/{id}", session_only,
             [&keys](request_context& ctx) { return revoke_key(keys, ctx); });
}

}  // namespace kemas::http
