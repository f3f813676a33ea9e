// Issue 3's behaviour through the real kemas-api wiring on a socket, against PostgreSQL
// (a scratch database per fixture) and Redis: sessions, refresh rotation and reuse, tokens
// that must be refused, rate limits, lockout, API keys and scopes, CORS, password reset.
#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <soci/soci.h>

#include <thread>

#include "adapters/crypto/jwt.hpp"
#include "adapters/crypto/sealed_box.hpp"
#include "adapters/crypto/tokens.hpp"
#include "adapters/postgres/pool.hpp"
#include "adapters/redis/client.hpp"
#include "adapters/support/random.hpp"
#include "app/composition/api_application.hpp"
#include "domain/base64.hpp"
#include "test/support/api_fixture.hpp"
#include "test/support/eventually.hpp"
#include "test/support/io_threads.hpp"

using namespace std::chrono_literals;
using namespace kemas::test;
namespace json = boost::json;

namespace {

raw_response register_user(const api_fixture& api, const std::string& name,
                           const std::string& password = "correct horse 1") {
  return api.call(
      "POST", "/api/v1/user/register",
      json::serialize(json::object{
          {"email", name + "@example.com"}, {"username", name}, {"password", password}}));
}

struct session_tokens {
  std::string access;
  std::string refresh;
};

session_tokens login(const api_fixture& api, const std::string& name,
                     const std::string& password = "correct horse 1") {
  auto r = api.call(
      "POST", "/api/v1/user/login",
      json::serialize(json::object{{"email", name + "@example.com"}, {"password", password}}));
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto body = parse(r);
  CHECK(body.at("token_type").as_string() == "Bearer");
  CHECK(body.at("expires_in").as_int64() == 900);
  CHECK_FALSE(body.at("user").as_object().contains("password_hash"));
  return {std::string(body.at("access_token").as_string()),
          std::string(body.at("refresh_token").as_string())};
}

raw_response refresh(const api_fixture& api, const std::string& token) {
  return api.call("POST", "/api/v1/auth/refresh",
                  json::serialize(json::object{{"refresh_token", token}}));
}

std::string base64url(std::string_view text) {
  return kemas::base64url(text.data(), text.size());
}


}  // namespace

TEST_CASE(
    "register then login then me then refresh then reuse revokes the session then logout-all") {
  api_fixture api;
  auto created = register_user(api, "ana");
  REQUIRE(created.status == 201);
  auto user = parse(created).at("user").as_object();
  CHECK(user.at("email").as_string() == "ana@example.com");
  CHECK(user.at("plan").as_string() == "free");
  CHECK(user.at("role").as_string() == "user");
  CHECK_FALSE(user.contains("password_hash"));

  auto first = login(api, "ana");
  auto me = api.call("GET", "/api/v1/auth/me", {}, bearer(first.access));
  REQUIRE(me.status == 200);
  CHECK(parse(me).at("user").at("username").as_string() == "ana");

  auto rotated = refresh(api, first.refresh);
  REQUIRE(rotated.status == 200);
  const std::string second_refresh(parse(rotated).at("refresh_token").as_string());
  const std::string second_access(parse(rotated).at("access_token").as_string());
  CHECK(second_refresh != first.refresh);
  CHECK(api.call("GET", "/api/v1/auth/me", {}, bearer(second_access)).status == 200);

  // The old refresh token again: reuse — the whole session goes, at once.
  auto reused = refresh(api, first.refresh);
  CHECK(reused.status == 401);
  CHECK(api.call("GET", "/api/v1/auth/me", {}, bearer(second_access)).status == 401);
  CHECK(api.call("GET", "/api/v1/auth/me", {}, bearer(first.access)).status == 401);
  CHECK(refresh(api, second_refresh).status == 401);

  auto again = login(api, "ana");
  auto other = login(api, "ana");
  CHECK(api.call("GET", "/api/v1/auth/me", {}, bearer(again.access)).status == 200);
  auto all = api.call("POST", "/api/v1/auth/logout-all", {}, bearer(again.access));
  REQUIRE(all.status == 200);
  CHECK(parse(all).at("sessions_ended").as_int64() == 2);
  CHECK(api.call("GET", "/api/v1/auth/me", {}, bearer(again.access)).status == 401);
  CHECK(api.call("GET", "/api/v1/auth/me", {}, bearer(other.access)).status == 401);

  bool registered = false, logged_in = false;
  for (const auto& e : outbox_of(api)) {
    registered |= e.at("type").as_string() == "user.registered";
    logged_in |= e.at("type").as_string() == "auth.login";
  }
  CHECK(registered);
  CHECK(logged_in);
}

TEST_CASE("logout ends one session only") {
  api_fixture api;
  REQUIRE(register_user(api, "bob").status == 201);
  auto a = login(api, "bob");
  auto b = login(api, "bob");
  CHECK(api.call("POST", "/api/v1/auth/logout", {}, bearer(a.access)).status == 204);
  CHECK(api.call("GET", "/api/v1/auth/me", {}, bearer(a.access)).status == 401);
  CHECK(api.call("GET", "/api/v1/auth/me", {}, bearer(b.access)).status == 200);
}

TEST_CASE("a taken e-mail in another case is 409 and validation errors name the field") {
  api_fixture api;
  REQUIRE(register_user(api, "carla").status == 201);
  auto dup =
      api.call("POST", "/api/v1/user/register",
               R"({"email":"CARLA@Example.COM","username":"carla2","password":"correct horse 1"})");
  CHECK(dup.status == 409);
  CHECK(parse(dup).at("error").at("field").as_string() == "email");
  auto dup_name =
      api.call("POST", "/api/v1/user/register",
               R"({"email":"other@example.com","username":"CARLA","password":"correct horse 1"})");
  CHECK(dup_name.status == 409);
  CHECK(parse(dup_name).at("error").at("field").as_string() == "username");

  const std::vector<std::pair<std::string, std::string>> bad = {
      {R"({"email":"not-an-email","username":"dan","password":"correct horse 1"})", "email"},
      {R"({"email":"dan@example.com","username":"d","password":"correct horse 1"})", "username"},
      {R"({"email":"dan@example.com","username":"dan","password":"short"})", "password"},
      {R"({"email":"dan@example.com","password":"correct horse 1"})", "username"},
      {R"({"email":"dan@example.com","username":7,"password":"correct horse 1"})", "username"},
  };
  for (const auto& [body, field] : bad) {
    auto r = api.call("POST", "/api/v1/user/register", body);
    INFO(body);
    CHECK(r.status == 400);
    CHECK(parse(r).at("error").at("field").as_string() == field);
  }
  CHECK(api.call("POST", "/api/v1/user/register", "{not json").status == 400);
  CHECK(api.call("POST", "/api/v1/user/register", "[1,2]").status == 400);
  CHECK(api.call("POST", "/api/v1/user/register", std::string(40, '[') + std::string(40, ']'))
            .status == 400);
  auto wrong_type =
      kemas::test::http_request(api.port(), "POST", "/api/v1/user/register", "a=b",
                                "Content-Type: application/x-www-form-urlencoded\r\n");
  CHECK(wrong_type.status == 415);
}

TEST_CASE("tampered / alg none / wrong key / expired access tokens are refused") {
  api_fixture api;
  REQUIRE(register_user(api, "erin").status == 201);
  auto t = login(api, "erin");
  REQUIRE(api.call("GET", "/api/v1/auth/me", {}, bearer(t.access)).status == 200);

  const auto dot1 = t.access.find('.');
  const auto dot2 = t.access.rfind('.');
  const std::string header = t.access.substr(0, dot1);
  const std::string payload = t.access.substr(dot1 + 1, dot2 - dot1 - 1);
  const std::string signature = t.access.substr(dot2 + 1);

  // Tampered payload: a different role, same signature.
  auto claims = json::parse(*kemas::base64url_decode(payload)).as_object();
  claims["role"] = "admin";
  const std::string forged = header + "." + base64url(json::serialize(claims)) + "." + signature;
  CHECK(api.call("GET", "/api/v1/auth/me", {}, bearer(forged)).status == 401);

  const std::string none = base64url(R"({"alg":"none","typ":"JWT"})") + "." + payload + ".";
  CHECK(api.call("GET", "/api/v1/auth/me", {}, bearer(none)).status == 401);

  kemas::crypto::jwt_codec other_key(std::string(48, 'x'), 900s);
  const auto sub = *kemas::uuid::parse(std::string(claims.at("sub").as_string()));
  const std::string sid(claims.at("sid").as_string());
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  CHECK(api.call("GET", "/api/v1/auth/me", {},
                 bearer(other_key.issue(sub, sid, kemas::role::user, now)))
            .status == 401);

  kemas::crypto::jwt_codec same_key(api.settings().auth.jwt_secret, 900s);
  CHECK(api.call("GET", "/api/v1/auth/me", {},
                 bearer(same_key.issue(sub, sid, kemas::role::user, now)))
            .status == 200);
  const auto expired = same_key.issue(sub, sid, kemas::role::user, now - 3600);
  auto r = api.call("GET", "/api/v1/auth/me", {}, bearer(expired));
  CHECK(r.status == 401);
  CHECK(r.header("www-authenticate"));
  CHECK(api.call("GET", "/api/v1/auth/me", {}, "Authorization: Bearer garbage\r\n").status == 401);
  CHECK(api.call("GET", "/api/v1/auth/me").status == 401);
  CHECK(api.call("GET", "/api/v1/auth/me", {}, "Authorization: Basic YTpi\r\n").status == 401);
}

TEST_CASE("the login rate limit answers 429 exactly at limit+1 with sane headers") {
  api_fixture api([](kemas::config::settings& s) {
    s.ratelimit.auth_limit = 5;
    s.auth.login_failure_limit = 100;  // this test is about the per-IP limit, not the lockout
  });
  // A fresh unknown account per run: lockouts live in the shared Redis.
  const std::string body = json::serialize(
      json::object{{"email", "nobody-" + kemas::support::random_hex(6) + "@example.com"},
                   {"password", "whatever 123"}});
  for (unsigned i = 1; i <= 5; ++i) {
    auto r = api.call("POST", "/api/v1/user/login", body);
    INFO(i);
    CHECK(r.status == 401);
    CHECK(r.header("ratelimit-limit") == "5");
    CHECK(r.header("ratelimit-remaining") == std::to_string(5 - i));
  }
  auto refused = api.call("POST", "/api/v1/user/login", body);
  CHECK(refused.status == 429);
  CHECK(error_code(refused) == "rate_limited");
  REQUIRE(refused.header("retry-after"));
  const auto retry = std::stoi(*refused.header("retry-after"));
  CHECK(retry >= 1);
  CHECK(retry <= 61);
  CHECK(refused.header("ratelimit-remaining") == "0");
  CHECK(std::stoi(*refused.header("ratelimit-reset")) <= 60);
  // Another client address still gets in.
  auto other = api.call("POST", "/api/v1/user/login", body, "X-Forwarded-For: 10.255.0.1\r\n");
  CHECK(other.status == 401);
}

namespace {
boost::asio::awaitable<kemas::result<kemas::http::response>> probe_ok(
    kemas::http::request_context&) {
  co_return kemas::http::response::json(200, R"({"ok":true})");
}
void add_probe_routes(kemas::app::api_application& app) {
  using kemas::http::method;
  app.routes().add(method::get, "/test/files-read",
                   {kemas::access_rule::with_scope(kemas::scope::files_read),
                    kemas::http::rate_class::general, false},
                   probe_ok);
  app.routes().add(method::post, "/test/files-write",
                   {kemas::access_rule::with_scope(kemas::scope::files_write),
                    kemas::http::rate_class::general, false},
                   probe_ok);
  app.routes().add(
      method::get, "/test/admin",
      {kemas::access_rule::at_least(kemas::role::admin), kemas::http::rate_class::general, false},
      probe_ok);
}
}  // namespace

TEST_CASE("API keys act within their scopes and never manage keys") {
  api_fixture api({}, add_probe_routes);
  REQUIRE(register_user(api, "gina").status == 201);
  auto t = login(api, "gina");
  auto created = api.call("POST", "/api/v1/auth/keys",
                          R"({"name":"ci reader","scopes":["files:read"],"expires_in_days":30})",
                          bearer(t.access));
  REQUIRE(created.status == 201);
  const std::string key(parse(created).at("key").as_string());
  CHECK(key.starts_with("kms_"));
  const std::string key_id(parse(created).at("api_key").at("id").as_string());
  const std::string with_key = "Authorization: ApiKey " + key + "\r\n";

  auto read = api.call("GET", "/test/files-read", {}, with_key);
  CHECK(read.status == 200);
  CHECK(read.header("ratelimit-limit") == std::to_string(api.settings().ratelimit.apikey_limit));
  auto write = api.call("POST", "/test/files-write", "{}", with_key);
  CHECK(write.status == 403);
  CHECK(error_code(write) == "forbidden");
  CHECK(api.call("POST", "/api/v1/auth/keys", R"({"name":"x","scopes":["files:read"]})", with_key)
            .status == 403);
  CHECK(api.call("GET", "/api/v1/auth/keys", {}, with_key).status == 403);
  CHECK(api.call("GET", "/test/admin", {}, with_key).status == 403);
  CHECK(api.call("GET", "/test/admin", {}, bearer(t.access)).status == 403);  // a user is no admin

  // A wrong secret with a real prefix, and a mangled key, are refused.
  std::string wrong = key;
  wrong.back() = wrong.back() == 'A' ? 'B' : 'A';
  CHECK(api.call("GET", "/test/files-read", {}, "Authorization: ApiKey " + wrong + "\r\n").status ==
        401);
  CHECK(api.call("GET", "/test/files-read", {}, "Authorization: ApiKey kms_nope\r\n").status ==
        401);

  auto listed = api.call("GET", "/api/v1/auth/keys", {}, bearer(t.access));
  REQUIRE(listed.status == 200);
  auto keys = parse(listed).at("api_keys").as_array();
  REQUIRE(keys.size() == 1);
  CHECK_FALSE(keys[0].as_object().contains("secret_hash"));
  CHECK(keys[0].at("prefix").as_string() == key.substr(4, 12));

  CHECK(api.call("POST", "/api/v1/auth/keys", R"({"name":"x","scopes":["files:delete"]})",
                 bearer(t.access))
            .status == 400);
  CHECK(api.call("POST", "/api/v1/auth/keys", R"({"name":"x","scopes":[]})", bearer(t.access))
            .status == 400);
  CHECK(api.call("POST", "/api/v1/auth/keys",
                 R"({"name":"x","scopes":["files:read"],"expires_in_days":100000})",
                 bearer(t.access))
            .status == 400);

  // Revoked: refused from then on. Another user cannot revoke it (404).
  REQUIRE(register_user(api, "hank").status == 201);
  auto other = login(api, "hank");
  CHECK(api.call("DELETE", "/api/v1/auth/keys/" + key_id, {}, bearer(other.access)).status == 404);
  CHECK(api.call("DELETE", "/api/v1/auth/keys/" + key_id, {}, bearer(t.access)).status == 204);
  CHECK(api.call("GET", "/test/files-read", {}, with_key).status == 401);
  CHECK(api.call("DELETE", "/api/v1/auth/keys/" + key_id, {}, bearer(t.access)).status == 404);

  bool created_event = false;
  for (const auto& e : outbox_of(api))
    created_event |= e.at("type").as_string() == "apikey.created";
  CHECK(created_event);
}

TEST_CASE("an expired API key is refused") {
  api_fixture api({}, add_probe_routes);
  REQUIRE(register_user(api, "ivy").status == 201);
  auto t = login(api, "ivy");
  auto created =
      api.call("POST", "/api/v1/auth/keys",
               R"({"name":"short","scopes":["files:read","files:write"]})", bearer(t.access));
  REQUIRE(created.status == 201);
  const std::string key(parse(created).at("key").as_string());
  const std::string with_key = "Authorization: ApiKey " + key + "\r\n";
  CHECK(api.call("POST", "/test/files-write", "{}", with_key).status == 200);
  kemas::postgres::pg_pool pool(api.database().settings(), "kemas-test");
  pool.with_session([&](soci::session& sql) {
    sql << "UPDATE api_keys SET created_at = now() - interval '2 days', expires_at = now() - "
           "interval '1 second'";
  });
  pool.stop();
  CHECK(api.call("POST", "/test/files-write", "{}", with_key).status == 401);
}

TEST_CASE("CORS preflight answers listed origins and says nothing to others") {
  api_fixture api(
      [](kemas::config::settings& s) { s.cors.allowed_origins = {"https://app.example.com"}; });
  const std::string ask =
      "Access-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: authorization, "
      "content-type\r\n";
  auto allowed =
      api.call("OPTIONS", "/api/v1/user/login", {}, "Origin: https://app.example.com\r\n" + ask);
  CHECK(allowed.status == 204);
  CHECK(allowed.header("access-control-allow-origin") == "https://app.example.com");
  CHECK(allowed.header("access-control-allow-credentials") == "true");
  REQUIRE(allowed.header("access-control-allow-methods"));
  CHECK(allowed.header("access-control-allow-methods")->find("POST") != std::string::npos);

  auto denied =
      api.call("OPTIONS", "/api/v1/user/login", {}, "Origin: https://evil.example.net\r\n" + ask);
  CHECK_FALSE(denied.header("access-control-allow-origin"));
  CHECK_FALSE(denied.header("access-control-allow-credentials"));

  auto simple = api.call("GET", "/healthz", {}, "Origin: https://app.example.com\r\n");
  CHECK(simple.header("access-control-allow-origin") == "https://app.example.com");
  CHECK_FALSE(api.call("GET", "/healthz", {}, "Origin: https://evil.example.net\r\n")
                  .header("access-control-allow-origin"));
}

TEST_CASE("password reset tokens work once and expire") {
  api_fixture api([](kemas::config::settings& s) { s.auth.password_reset_ttl = 1500ms; });
  REQUIRE(register_user(api, "jack").status == 201);
  auto session = login(api, "jack");

  // Unknown and known accounts get the same answer.
  CHECK(
      api.call("POST", "/api/v1/user/password-reset", R"({"email":"nobody@example.com"})").status ==
      202);
  CHECK(api.call("POST", "/api/v1/user/password-reset", R"({"email":"jack@example.com"})").status ==
        202);

  // The token travels sealed in the auth.password_reset_requested event; only a holder of
  // mail.token_key (the mailer, this test) can open it. (Delivery by mail: mailer_test.)
  auto opened = [&](const json::value& e) -> std::string {
    const auto& data = e.at("data").as_object();
    CHECK_FALSE(data.contains("token"));
    auto token = kemas::crypto::open_sealed(
        api.settings().mail.token_key, kemas::crypto::reset_token_purpose,
        e.at("subject").at("id").as_string(), data.at("token_sealed").as_string());
    REQUIRE(token.has_value());
    return *token;
  };
  auto reset_token = [&]() -> std::string {
    std::string found;  // once the detached request has written it
    kemas::test::eventually([&] {
      for (const auto& e : outbox_of(api)) {
        if (e.at("type").as_string() == "auth.password_reset_requested")
          found = opened(e);
      }
      return !found.empty();
    });
    return found;
  };
  const std::string token = reset_token();
  REQUIRE_FALSE(token.empty());
  const std::string confirm =
      json::serialize(json::object{{"token", token}, {"password", "brand new pass"}});
  CHECK(api.call("POST", "/api/v1/user/password-reset/confirm", confirm).status == 204);
  CHECK(api.call("POST", "/api/v1/user/password-reset/confirm", confirm).status ==
        400);  // single use
  CHECK(api.call("GET", "/api/v1/auth/me", {}, bearer(session.access)).status ==
        401);  // sessions ended
  login(api, "jack", "brand new pass");

  // A second token, left to expire.
  CHECK(api.call("POST", "/api/v1/user/password-reset", R"({"email":"jack@example.com"})").status ==
        202);
  std::string second;
  kemas::test::eventually([&] {
    for (const auto& e : outbox_of(api)) {
      if (e.at("type").as_string() == "auth.password_reset_requested" && opened(e) != token)
        second = opened(e);
    }
    return !second.empty();
  });
  REQUIRE_FALSE(second.empty());
  // Wait (poll with a deadline) until Redis has expired the token's key, then try it.
  {
    kemas::test::io_threads io(1);
    kemas::redis::redis_client redis(io.executor(), api.settings().redis);
    const std::string key = "kemas:pwreset:" + kemas::crypto::sha256_hex(second);
    auto exists = [&] {
      auto job = [&redis, key]() -> boost::asio::awaitable<long long> {
        std::vector<std::string> args{"EXISTS", key};
        auto r = co_await redis.command(std::move(args));
        co_return r ? r->integer() : -1;
      };
      return io.run(job());
    };
    REQUIRE(kemas::test::eventually([&] { return exists() == 0; }, 10s));
    redis.close();
  }
  auto late =
      api.call("POST", "/api/v1/user/password-reset/confirm",
               json::serialize(json::object{{"token", second}, {"password", "another new pass"}}));
  CHECK(late.status == 400);
  CHECK(parse(late).at("error").at("field").as_string() == "token");
}

TEST_CASE("changing the password ends the other sessions and needs the current one") {
  api_fixture api;
  REQUIRE(register_user(api, "kim").status == 201);
  auto mine = login(api, "kim");
  auto other = login(api, "kim");
  auto wrong = api.call("POST", "/api/v1/auth/password",
                        R"({"current_password":"nope nope","new_password":"next password"})",
                        bearer(mine.access));
  CHECK(wrong.status == 400);
  CHECK(api.call("POST", "/api/v1/auth/password",
                 R"({"current_password":"correct horse 1","new_password":"next password"})",
                 bearer(mine.access))
            .status == 204);
  CHECK(api.call("GET", "/api/v1/auth/me", {}, bearer(mine.access)).status == 200);
  CHECK(api.call("GET", "/api/v1/auth/me", {}, bearer(other.access)).status == 401);
  login(api, "kim", "next password");
}

TEST_CASE("cookie mode sets HttpOnly cookies and authenticates with them") {
  api_fixture api;
  REQUIRE(register_user(api, "lea").status == 201);
  auto r = api.call("POST", "/api/v1/user/login",
                    R"({"email":"lea@example.com","password":"correct horse 1","cookies":true})");
  REQUIRE(r.status == 200);
  CHECK_FALSE(parse(r).contains("access_token"));
  REQUIRE(r.header("set-cookie"));
  const std::string cookies = *r.header("set-cookie");
  CHECK(cookies.find("HttpOnly") != std::string::npos);
  CHECK(cookies.find("SameSite=Lax") != std::string::npos);
  const auto start = cookies.find("kemas_access=");
  REQUIRE(start != std::string::npos);
  const auto value_start = start + std::string("kemas_access=").size();
  const std::string access =
      cookies.substr(value_start, cookies.find(';', value_start) - value_start);
  CHECK(api.call("GET", "/api/v1/auth/me", {}, "Cookie: kemas_access=" + access + "\r\n").status ==
        200);
  CHECK(api.call("GET", "/api/v1/auth/me", {}, "Cookie: kemas_access=forged\r\n").status == 401);
}

TEST_CASE("account recovery revokes every API key and a password change does too by default") {
  api_fixture api([](kemas::config::settings& s) { s.ratelimit.auth_limit = 1000; });
  REQUIRE(register_user(api, "kira").status == 201);
  auto session = login(api, "kira");
  auto make_key = [&](const std::string& access) {
    auto created = api.call("POST", "/api/v1/auth/keys",
                            R"({"name":"ci","scopes":["files:read"],"expires_in_days":30})",
                            bearer(access));
    REQUIRE(created.status == 201);
    return "Authorization: ApiKey " + std::string(parse(created).at("key").as_string()) + "\r\n";
  };
  const std::string list = "/api/v1/auth/files/list";

  // A password change: the key made before it stops working.
  const std::string first = make_key(session.access);
  REQUIRE(api.call("GET", list, {}, first).status == 200);
  CHECK(api.call("POST", "/api/v1/auth/password",
                 R"({"current_password":"correct horse 1","new_password":"second horse 2"})",
                 bearer(session.access))
            .status == 204);
  CHECK(api.call("GET", list, {}, first).status == 401);

  // A reset (account recovery): every key stops, whoever made it.
  const std::string second = make_key(session.access);
  REQUIRE(api.call("GET", list, {}, second).status == 200);
  CHECK(api.call("POST", "/api/v1/user/password-reset", R"({"email":"kira@example.com"})").status ==
        202);
  std::string token;
  REQUIRE(kemas::test::eventually(
      [&] {
        for (const auto& e : outbox_of(api)) {
          if (e.at("type").as_string() == "auth.password_reset_requested") {
            token = kemas::crypto::open_sealed(api.settings().mail.token_key,
                                               kemas::crypto::reset_token_purpose,
                                               e.at("subject").at("id").as_string(),
                                               e.at("data").at("token_sealed").as_string())
                        .value_or("");
          }
        }
        return !token.empty();
      },
      5s));
  CHECK(api.call("POST", "/api/v1/user/password-reset/confirm",
                 json::serialize(json::object{{"token", token}, {"password", "third horse 3"}}))
            .status == 204);
  CHECK(api.call("GET", list, {}, second).status == 401);
  // Both revocations are events.
  int revocations = 0;
  for (const auto& e : outbox_of(api))
    revocations += e.at("type").as_string() == "apikey.revoked" ? 1 : 0;
  CHECK(revocations == 2);
}

TEST_CASE("with password_change_revokes_keys off a password change keeps the keys") {
  api_fixture api([](kemas::config::settings& s) {
    s.ratelimit.auth_limit = 1000;
    s.auth.password_change_revokes_keys = false;
  });
  REQUIRE(register_user(api, "lena").status == 201);
  auto session = login(api, "lena");
  auto created = api.call("POST", "/api/v1/auth/keys",
                          R"({"name":"ci","scopes":["files:read"],"expires_in_days":30})",
                          bearer(session.access));
  REQUIRE(created.status == 201);
  const std::string key =
      "Authorization: ApiKey " + std::string(parse(created).at("key").as_string()) + "\r\n";
  CHECK(api.call("POST", "/api/v1/auth/password",
                 R"({"current_password":"correct horse 1","new_password":"second horse 2"})",
                 bearer(session.access))
            .status == 204);
  CHECK(api.call("GET", "/api/v1/auth/files/list", {}, key).status == 200);
}
