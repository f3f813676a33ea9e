// POST /api/v1/auth/refresh (public: the refresh token is the credential; from the cookie,
// only with the CSRF guard's Origin and X-Requested-With, app/server/csrf.hpp), /logout,
// /logout-all, /password and GET /api/v1/auth/me. Session routes: API keys cannot use them.

#include "app/routes/access.hpp"
#include "app/routes/accounts.hpp"
#include "app/routes/json_body.hpp"
#include "app/routes/render.hpp"
#include "app/routes/session_cookies.hpp"
#include "app/server/cookies.hpp"
#include "app/server/cors.hpp"
#include "app/server/csrf.hpp"
#include "app/server/error_response.hpp"
#include "app/services/account_service.hpp"

namespace kemas::http {
namespace asio = boost::asio;

namespace {

asio::awaitable<result<response>> refresh(app::account_service& accounts,
                                          const config::settings& settings,
                                          const cors_policy& cors, request_context& ctx) {
  // Browsers in cookie mode send no body: the refresh cookie is the credential.
  std::optional<std::string> token;
  bool from_cookie = false;
  if (ctx.header("Content-Type")) {
    auto body = co_await read_json_object(ctx);
    if (!body)
      co_return body.error();
    auto field = optional_string_field(*body, "refresh_token");
    if (!field)
      co_return field.error();
    token = std::move(*field);
  }
  if (!token) {
    token = cookie_value(ctx, refresh_cookie);
    from_cookie = token.has_value();
    if (from_cookie) {
      if (auto forged = check_cookie_request(ctx, cors); !forged)
        co_return forged.error();
    }
  }
  if (!token) {
    co_return make_error(errc::validation_failed, "refresh_token is required", "refresh_token");
  }
  auto meta = meta_of(ctx);
  auto tokens = co_await accounts.refresh(std::move(*token), std::move(meta));
  if (!tokens) {
    auto res = error_response(tokens.error(), ctx.request_id());
    if (from_cookie)
      clear_session_cookies(res, settings);
    co_return res;
  }
  auto res = json_response(200, token_fields(*tokens, from_cookie));
  if (from_cookie)
    set_session_cookies(res, *tokens, settings);
  co_return res;
}

asio::awaitable<result<response>> logout(app::account_service& accounts,
                                         const config::settings& settings, request_context& ctx) {
  auto meta = meta_of(ctx);
  auto done = co_await accounts.logout(ctx.who(), std::move(meta));
  if (!done)
    co_return done.error();
  auto res = response::empty(204);
  clear_session_cookies(res, settings);
  co_return res;
}

asio::awaitable<result<response>> logout_all(app::account_service& accounts,
                                             const config::settings& settings,
                                             request_context& ctx) {
  auto meta = meta_of(ctx);
  auto ended = co_await accounts.logout_all(ctx.who(), std::move(meta));
  if (!ended)
    co_return ended.error();
  auto res = json_response(
      200, boost::json::object{{"sessions_ended", static_cast<std::int64_t>(*ended)}});
  clear_session_cookies(res, settings);
  co_return res;
}

asio::awaitable<result<response>> me(app::account_service& accounts, request_context& ctx) {
  auto user = co_await accounts.me(ctx.who());
  if (!user)
    co_return user.error();
  co_return json_response(200, boost::json::object{{"user", user_json(*user)}});
}

asio::awaitable<result<response>> change_password(app::account_service& accounts,
                                                  request_context& ctx) {
  auto body = co_await read_json_object(ctx);
  json_fields read(std::move(body));
  auto current = read.text("current_password");
  auto replacement = read.text("new_password");
  if (read.failed())
    co_return read.problem();
  auto meta = meta_of(ctx);
  auto done = co_await accounts.change_password(ctx.who(), std::move(current),
                                                std::move(replacement), std::move(meta));
  if (!done)
    co_return done.error();
  co_return response::empty(204);
}

}  // namespace

void add_auth_routes(router& routes, app::account_service& accounts,
                     const config::settings& settings) {
  auto cors = std::make_shared<const cors_policy>(settings.cors.allowed_origins);
  routes.add(method::post, "/api/v1/auth/refresh", access::public_auth,
             [&accounts, &settings, cors](request_context& ctx) {
               return refresh(accounts, settings, *cors, ctx);
             });
  routes.add(
      method::post, "/api/v1/auth/logout", access::session_only,
      [&accounts, &settings](request_context& ctx) { return logout(accounts, settings, ctx); });
  routes.add(
      method::post, "/api/v1/auth/logout-all", access::session_only,
      [&accounts, &settings](request_context& ctx) { return logout_all(accounts, settings, ctx); });
  routes.add(method::get, "/api/v1/auth/me", access::session_only, serve(accounts, me));
  routes.add(method::post, "/api/v1/auth/password", access::session_only,
             serve(accounts, change_password));
}

}  // namespace kemas::http
