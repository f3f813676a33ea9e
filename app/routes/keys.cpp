// POST|GET /api/v1/auth/keys and DELETE /api/v1/auth/keys/{id}: a user's API keys. Session
// credentials only — an API key can never create, list or revoke keys.

#include <boost/json/array.hpp>

#include "app/routes/access.hpp"
#include "app/routes/accounts.hpp"
#include "app/routes/json_body.hpp"
#include "app/routes/render.hpp"
#include "app/server/error_response.hpp"
#include "app/services/api_key_service.hpp"

namespace kemas::http {
namespace asio = boost::asio;

namespace {

asio::awaitable<result<response>> create_key(app::api_key_service& keys, request_context& ctx) {
  auto body = co_await read_json_object(ctx);
  json_fields read(std::move(body));
  auto name = read.text("name");
  auto days = read.optional_integer("expires_in_days");
  auto scopes = read.texts("scopes");
  if (read.failed())
    co_return read.problem();
  auto meta = meta_of(ctx);
  auto created =
      co_await keys.create(ctx.who(), std::move(name), std::move(scopes), days, std::move(meta));
  if (!created)
    co_return created.error();
  boost::json::object out{{"key", created->key}, {"api_key", api_key_json(created->record)}};
  co_return json_response(201, out);
}

asio::awaitable<result<response>> list_keys(app::api_key_service& keys, request_context& ctx) {
  auto all = co_await keys.list(ctx.who());
  boost::json::array items;
  for (const auto& k : all)
    items.push_back(api_key_json(k));
  co_return json_response(200, boost::json::object{{"api_keys", std::move(items)}});
}

asio::awaitable<result<response>> revoke_key(app::api_key_service& keys, request_context& ctx) {
  auto meta = meta_of(ctx);
  std::string id(ctx.path_param("id"));
  auto done = co_await keys.revoke(ctx.who(), std::move(id), std::move(meta));
  if (!done)
    co_return done.error();
  co_return response::empty(204);
}

}  // namespace

void add_key_routes(router& routes, app::api_key_service& keys) {
  routes.add(method::post, "/api/v1/auth/keys", access::session_only, serve(keys, create_key));
  routes.add(method::get, "/api/v1/auth/keys", access::session_only, serve(keys, list_keys));
  routes.add(method::delete_, "/api/v1/auth/keys/{id}", access::session_only,
             serve(keys, revoke_key));
}

}  // namespace kemas::http
