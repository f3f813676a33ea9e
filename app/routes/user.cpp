// POST /api/v1/user/register, /login, /password-reset, /password-reset/confirm — the
// original service's public account routes, counted against the `auth` rate class per IP.

#include "app/routes/access.hpp"
#include "app/routes/accounts.hpp"
#include "app/routes/json_body.hpp"
#include "app/routes/render.hpp"
#include "app/routes/session_cookies.hpp"
#include "app/server/error_response.hpp"
#include "app/services/account_service.hpp"

namespace kemas::http {
namespace asio = boost::asio;

namespace {

asio::awaitable<result<response>> register_user(app::account_service& accounts,
                                                request_context& ctx) {
  auto body = co_await read_json_object(ctx);
  json_fields read(std::move(body));
  auto email = read.text("email");
  auto username = read.text("username");
  auto password = read.text("password");
  if (read.failed())
    co_return read.problem();
  auto meta = meta_of(ctx);
  auto user = co_await accounts.register_user(std::move(email), std::move(username),
                                              std::move(password), std::move(meta));
  if (!user)
    co_return user.error();
  boost::json::object out{{"user", user_json(*user)}};
  co_return json_response(201, out).with_header("Location", "/api/v1/auth/me");
}

asio::awaitable<result<response>> login(app::account_service& accounts,
                                        const config::settings& settings, request_context& ctx) {
  auto body = co_await read_json_object(ctx);
  json_fields read(std::move(body));
  auto email = read.optional_text("email");
  auto username = read.optional_text("username");
  auto password = read.text("password");
  const bool cookie_mode = read.optional_flag("cookies").value_or(false);
  if (read.failed())
    co_return read.problem();
  if (cookie_mode && !settings.auth.cookie_mode) {
    co_return make_error(errc::validation_failed, "cookie mode is disabled", "cookies");
  }
  std::string name = email.value_or(username.value_or(""));

  auto meta = meta_of(ctx);
  auto done = co_await accounts.login(std::move(name), std::move(password), std::move(meta));
  if (!done)
    co_return done.error();
  auto out = token_fields(done->tokens, cookie_mode);
  out["user"] = user_json(done->user);
  auto res = json_response(200, out);
  if (cookie_mode)
    set_session_cookies(res, done->tokens, settings);
  co_return res;
}

asio::awaitable<result<response>> request_reset(app::account_service& accounts,
                                                request_context& ctx) {
  auto body = co_await read_json_object(ctx);
  if (!body)
    co_return body.error();
  auto email = string_field(*body, "email");
  if (!email)
    co_return email.error();
  auto meta = meta_of(ctx);
  auto accepted = co_await accounts.request_password_reset(std::move(*email), std::move(meta));
  if (!accepted)
    co_return accepted.error();
  // Same answer whether or not the account exists.
  co_return json_response(202, boost::json::object{{"status", "accepted"}});
}

asio::awaitable<result<response>> confirm_reset(app::account_service& accounts,
                                                request_context& ctx) {
  auto body = co_await read_json_object(ctx);
  json_fields read(std::move(body));
  auto token = read.text("token");
  auto password = read.text("password");
  if (read.failed())
    co_return read.problem();
  auto meta = meta_of(ctx);
  auto done = co_await accounts.confirm_password_reset(std::move(token), std::move(password),
                                                       std::move(meta));
  if (!done)
    co_return done.error();
  co_return response::empty(204);
}

}  // namespace

void add_user_routes(router& routes, app::account_service& accounts,
                     const config::settings& settings) {
  routes.add(method::post, "/api/v1/user/register", access::public_auth,
             serve(accounts, register_user));
  routes.add(
      method::post, "/api/v1/user/login", access::public_auth,
      [&accounts, &settings](request_context& ctx) { return login(accounts, settings, ctx); });
  routes.add(method::post, "/api/v1/user/password-reset", access::public_auth,
             serve(accounts, request_reset));
  routes.add(method::post, "/api/v1/user/password-reset/confirm", access::public_auth,
             serve(accounts, confirm_reset));
}

}  // namespace kemas::http
