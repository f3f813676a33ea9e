// A signed-in user's own sessions and security activity (sessions only; API keys never):
//   GET    /api/v1/auth/sessions        live sessions: id, opened at, from where, current
//   DELETE /api/v1/auth/sessions/{id}   end one of them ("sign out that device")
//   GET    /api/v1/auth/activity        logins, failed logins, password and key changes

#include "app/routes/security.hpp"

#include "app/routes/access.hpp"
#include "app/routes/json_body.hpp"
#include "app/routes/render.hpp"
#include "app/services/security_service.hpp"

namespace kemas::http {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

json::object own_session_json(const app::own_session& s) {
  auto out = session_json(s.info);
  out["id"] = s.info.session_id;
  out["current"] = s.current;
  return out;
}

asio::awaitable<result<response>> list_sessions(app::security_service& security,
                                                request_context& ctx) {
  auto sessions = co_await security.sessions(ctx.who());
  if (!sessions)
    co_return sessions.error();
  json::array items;
  for (const auto& s : *sessions)
    items.push_back(own_session_json(s));
  co_return json_response(200, json::object{{"sessions", std::move(items)}});
}

asio::awaitable<result<response>> end_session(app::security_service& security,
                                              request_context& ctx) {
  auto ended = co_await security.end_session(ctx.who(), std::string(ctx.path_param("id")));
  if (!ended)
    co_return ended.error();
  co_return response::empty(204);
}

asio::awaitable<result<response>> activity(app::security_service& security, request_context& ctx) {
  auto page =
      co_await security.activity(ctx.who(), ctx.query_param("limit"), ctx.query_param("cursor"));
  if (!page)
    co_return page.error();
  co_return json_response(200,
                          page_json("entries", page->entries, page->next_cursor, audit_entry_json));
}

}  // namespace

void add_security_routes(router& routes, app::security_service& security) {
  routes.add(method::get, "/api/v1/auth/sessions", access::session_only,
             serve(security, list_sessions));
  routes.add(method::delete_, "/api/v1/auth/sessions/{id}", access::session_only,
             serve(security, end_session));
  routes.add(method::get, "/api/v1/auth/activity", access::session_only, serve(security, activity));
}

}  // namespace kemas::http
