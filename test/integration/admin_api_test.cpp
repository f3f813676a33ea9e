// The admin routes for accounts and the audit trail, against the real servers: who may call
// them, paging and search, disabling (every credential of the user stops at once), and the
// audit trail as the audit role stored it.

#include <doctest/doctest.h>

#include <soci/soci.h>
#include <boost/json.hpp>

#include <functional>
#include <set>
#include <sstream>

#include "adapters/postgres/pool.hpp"
#include "domain/rfc3339.hpp"
#include "test/support/admin_cli.hpp"
#include "test/support/api_fixture.hpp"
#include "test/support/upload_client.hpp"
#include "test/support/upload_env.hpp"
#include "test/support/worker_fixture.hpp"

using namespace kemas;
using namespace std::chrono_literals;
namespace json = boost::json;
using test::api_fixture;
using test::parse;

namespace {

using test::account;

// An API key with files:read for `who`.
std::string api_key_header(const api_fixture& api, const account& who) {
  return test::api_key_header(api, who, R"(["files:read"])");
}

int login_status(const api_fixture& api, const std::string& name) {
  return api
      .call("POST", "/api/v1/user/login",
            json::serialize(
                json::object{{"email", name + "@example.com"}, {"password", "correct horse 1"}}))
      .status;
}

// The api with a commands worker (its outbox relay) and an audit writer, in a vhost of the
// test's own: what the admin audit routes read is really written.
struct audited_api {
  explicit audited_api(const std::string& tag,
                       const std::function<void(config::settings&)>& more = {})
      : workers(tag),
        api(workers.api_tweak([more](config::settings& s) {
          s.ratelimit.auth_limit = 1000;
          if (more)
            more(s);
        })),
        audit(test::start_worker("audit", api.database().settings().url, workers.vhost().name(),
                                 tag + ".audit")) {
    workers.start(api.database().settings());
    REQUIRE(audit.wait_for_stderr("\"msg\":\"amqp consumer connected\"", 20s));
  }

  test::worker_fixture workers;
  api_fixture api;
  test::child_process audit;
};

}  // namespace

TEST_CASE(
    "admin routes answer admins only: 401 without credentials and 403 for users and API keys") {
  api_fixture api([](config::settings& s) { s.ratelimit.auth_limit = 1000; });
  const auto admin = test::sign_up(api, "rootadmin", "admin");
  const auto user = test::sign_up(api, "plainuser");
  const std::string admin_key = api_key_header(api, admin);
  const std::string target = "/api/v1/admin/users/" + user.id;
  const std::vector<std::tuple<std::string, std::string, std::string>> routes{
      {"GET", "/api/v1/admin/users", ""},
      {"GET", target, ""},
      {"PATCH", target, R"({"disabled":true})"},
      {"POST", target + "/password-reset", ""},
      {"GET", "/api/v1/admin/audit", ""},
      {"GET", "/api/v1/admin/audit/export?format=csv", ""},
      {"GET", "/api/v1/admin/stats", ""},
  };
  for (const auto& [verb, path, body] : routes) {
    CAPTURE(verb + " " + path);
    CHECK(api.call(verb, path, body).status == 401);
    CHECK(api.call(verb, path, body, user.auth).status == 403);
    CHECK(api.call(verb, path, body, admin_key).status == 403);
  }
  // Nothing changed on the way.
  CHECK(api.call("GET", "/api/v1/auth/me", {}, user.auth).status == 200);
  CHECK(api.call("GET", target, {}, admin.auth).status == 200);
}

TEST_CASE("admins list and search accounts page by page") {
  api_fixture api([](config::settings& s) { s.ratelimit.auth_limit = 1000; });
  const auto admin = test::sign_up(api, "listadmin", "admin");
  std::set<std::string> pagers;
  for (int i = 0; i < 5; ++i)
    pagers.insert(test::sign_up(api, "pager" + std::to_string(i)).id);
  test::sign_up(api, "someoneelse");

  std::set<std::string> seen;
  std::string cursor;
  int pages = 0;
  do {
    auto r = api.call(
        "GET", "/api/v1/admin/users?q=PAGER&limit=2" + (cursor.empty() ? "" : "&cursor=" + cursor),
        {}, admin.auth);
    REQUIRE(r.status == 200);
    const auto body = parse(r);
    const auto& users = body.at("users").as_array();
    CHECK(users.size() <= 2);
    for (const auto& u : users) {
      CHECK(seen.insert(std::string(u.at("id").as_string())).second);  // no repeats
      CHECK(u.at("file_count").as_int64() == 0);
      CHECK_FALSE(u.as_object().contains("password_hash"));
    }
    cursor =
        body.at("next_cursor").is_null() ? "" : std::string(body.at("next_cursor").as_string());
    ++pages;
  } while (!cursor.empty() && pages < 10);
  CHECK(pages == 3);
  CHECK(seen == pagers);

  auto admins = parse(api.call("GET", "/api/v1/admin/users?role=admin", {}, admin.auth));
  REQUIRE(admins.at("users").as_array().size() == 1);
  CHECK(admins.at("users").at(0).at("email") == "listadmin@example.com");

  // A search term is text, not a pattern.
  CHECK(parse(api.call("GET", "/api/v1/admin/users?q=%25", {}, admin.auth))
            .at("users")
            .as_array()
            .empty());

  for (const char* bad :
       {"limit=0", "limit=201", "role=king", "disabled=maybe", "cursor=nonsense"}) {
    CAPTURE(bad);
    auto r = api.call("GET", std::string("/api/v1/admin/users?") + bad, {}, admin.auth);
    CHECK(r.status == 400);
  }
  CHECK(api.call("GET", "/api/v1/admin/users/not-a-uuid", {}, admin.auth).status == 404);
  CHECK(api.call("GET", "/api/v1/admin/users/00000000-0000-4000-8000-000000000000", {}, admin.auth)
            .status == 404);
}

TEST_CASE("a disabled user loses session and refresh token and API key at once") {
  api_fixture api([](config::settings& s) { s.ratelimit.auth_limit = 1000; });
  const auto admin = test::sign_up(api, "guardadmin", "admin");
  const auto user = test::sign_up(api, "victor");
  const std::string key = api_key_header(api, user);
  const std::string target = "/api/v1/admin/users/" + user.id;
  REQUIRE(api.call("GET", "/api/v1/auth/files/list", {}, key).status == 200);

  auto details = parse(api.call("GET", target, {}, admin.auth)).at("user").as_object();
  CHECK(details.at("sessions_count").as_int64() == 1);
  CHECK(details.at("effective_plan") == "free");
  CHECK(details.at("quota_bytes").as_int64() > 0);

  auto disabled = api.call("PATCH", target, R"({"disabled":true})", admin.auth);
  REQUIRE(disabled.status == 200);
  CHECK(parse(disabled).at("user").at("disabled") == true);
  CHECK(parse(disabled).at("user").at("sessions_count").as_int64() == 0);

  CHECK(api.call("GET", "/api/v1/auth/me", {}, user.auth).status == 401);
  CHECK(api.call("POST", "/api/v1/auth/refresh",
                 json::serialize(json::object{{"refresh_token", user.refresh}}))
            .status == 401);
  const auto with_key = api.call("GET", "/api/v1/auth/files/list", {}, key).status;
  CHECK((with_key == 401 || with_key == 403));
  CHECK(login_status(api, "victor") == 403);

  // Enabled again: logging in works; the old session and refresh token stay dead.
  REQUIRE(api.call("PATCH", target, R"({"disabled":false})", admin.auth).status == 200);
  CHECK(login_status(api, "victor") == 200);
  CHECK(api.call("GET", "/api/v1/auth/me", {}, user.auth).status == 401);
  CHECK(api.call("POST", "/api/v1/auth/refresh",
                 json::serialize(json::object{{"refresh_token", user.refresh}}))
            .status == 401);

  // Bad changes change nothing.
  CHECK(api.call("PATCH", target, R"({"role":"king"})", admin.auth).status == 400);
  CHECK(api.call("PATCH", target, R"({"plan":"Gold!"})", admin.auth).status == 400);
  CHECK(api.call("PATCH", target, R"({"owner":"me"})", admin.auth).status == 400);
  CHECK(api.call("PATCH", target, R"({})", admin.auth).status == 400);
  CHECK(api.call("PATCH", "/api/v1/admin/users/" + admin.id, R"({"role":"user"})", admin.auth)
            .status == 409);
  CHECK(api.call("GET", "/api/v1/auth/me", {}, admin.auth).status == 200);
}

TEST_CASE(
    "the audit trail shows logins and failed logins and admin changes with actor and IP and "
    "request id") {
  audited_api stack("admin-audit");
  auto& api = stack.api;

  const auto admin = test::sign_up(api, "auditadmin", "admin");
  const auto user = test::sign_up(api, "wendy");
  CHECK(api.call("POST", "/api/v1/user/login",
                 R"({"email":"wendy@example.com","password":"wrong password"})",
                 "X-Forwarded-For: 198.51.100.77\r\n")
            .status == 401);
  const std::string request_id = "admin-audit-role-change";
  REQUIRE(api.call("PATCH", "/api/v1/admin/users/" + user.id, R"({"role":"developer"})",
                   admin.auth + "X-Request-Id: " + request_id + "\r\n")
              .status == 200);

  auto entries = [&](const std::string& query) {
    return parse(api.call("GET", "/api/v1/admin/audit?" + query, {}, admin.auth))
        .at("entries")
        .as_array();
  };
  REQUIRE(test::eventually([&] { return entries("request_id=" + request_id).size() == 1; }, 20s,
                           100ms));
  const auto change = entries("request_id=" + request_id).at(0).as_object();
  CHECK(change.at("action") == "user.role_changed");
  CHECK(change.at("actor_id").as_string() == admin.id);
  CHECK(change.at("target_id").as_string() == user.id);
  CHECK(change.at("before").at("role") == "user");
  CHECK(change.at("after").at("role") == "developer");
  CHECK_FALSE(change.at("actor_ip").is_null());

  REQUIRE(
      test::eventually([&] { return !entries("action=auth.login_failed").empty(); }, 20s, 100ms));
  const auto failed = entries("action=auth.login_failed").at(0).as_object();
  CHECK(failed.at("actor_ip") == "198.51.100.77");
  CHECK(failed.at("target_id").as_string() == user.id);
  CHECK_FALSE(failed.at("request_id").is_null());

  // The audit role stores on several threads: events arrive in any order.
  json::array logins;
  REQUIRE(test::eventually(
      [&] {
        logins = entries("action=auth.login&target_id=" + user.id);
        return logins.size() == 1;
      },
      20s, 100ms));
  CHECK(logins.at(0).at("actor_id").as_string() == user.id);

  // Paged newest first over everything; an actor filter keeps to that actor.
  const auto first = parse(api.call("GET", "/api/v1/admin/audit?limit=1", {}, admin.auth));
  REQUIRE(first.at("entries").as_array().size() == 1);
  REQUIRE_FALSE(first.at("next_cursor").is_null());
  const auto second = parse(api.call(
      "GET",
      "/api/v1/admin/audit?limit=1&cursor=" + std::string(first.at("next_cursor").as_string()), {},
      admin.auth));
  CHECK(second.at("entries").at(0).at("seq").as_int64() <
        first.at("entries").at(0).at("seq").as_int64());
  for (const auto& e : entries("actor=" + admin.id))
    CHECK(e.at("actor_id").as_string() == admin.id);

  // The same trail as a streamed file: NDJSON lines are the entries, CSV has a header.
  const auto all = entries("limit=200");
  auto ndjson = api.call("GET", "/api/v1/admin/audit/export?format=ndjson", {}, admin.auth);
  REQUIRE(ndjson.status == 200);
  CHECK(ndjson.header("transfer-encoding") == "chunked");
  CHECK(ndjson.header("content-type") == "application/x-ndjson");
  std::vector<json::object> lines;
  std::istringstream in(ndjson.body);
  for (std::string line; std::getline(in, line);)
    lines.push_back(json::parse(line).as_object());
  REQUIRE(lines.size() >= all.size());  // the audit role may have stored more meanwhile
  CHECK(lines.back().at("seq") == all.back().at("seq"));
  auto csv = api.call("GET", "/api/v1/admin/audit/export?format=csv&request_id=" + request_id, {},
                      admin.auth);
  REQUIRE(csv.status == 200);
  CHECK(csv.body.starts_with("seq,event_id,occurred_at,actor_id,actor_ip,action,"));
  CHECK(std::count(csv.body.begin(), csv.body.end(), '\n') == 2);  // header + the role change
  CHECK(csv.body.find(",user.role_changed,") != std::string::npos);
  CHECK(csv.body.find("\"{\"\"role\"\": \"\"user\"\"}\"") != std::string::npos);  // quoted JSON
  CHECK(api.call("GET", "/api/v1/admin/audit/export?format=xml", {}, admin.auth).status == 400);
  // (wendy's sessions ended with her role change: another non-admin asks)
  const auto plain = test::sign_up(api, "exportuser");
  CHECK(api.call("GET", "/api/v1/admin/audit/export", {}, plain.auth).status == 403);
  CHECK(api.call("GET", "/api/v1/admin/audit?from=yesterday", {}, admin.auth).status == 400);
  CHECK(api.call("GET", "/api/v1/admin/audit?actor=nobody", {}, admin.auth).status == 400);
}

TEST_CASE("users see their own sessions and activity and end a session of their choice") {
  audited_api stack("own-security");
  auto& api = stack.api;

  const auto laptop = test::sign_up(api, "olga");
  auto phone_login = api.call("POST", "/api/v1/user/login",
                              R"({"email":"olga@example.com","password":"correct horse 1"})",
                              "X-Forwarded-For: 203.0.113.9\r\nUser-Agent: KemasPhone/1.0\r\n");
  REQUIRE(phone_login.status == 200);
  const std::string phone =
      test::bearer(std::string(parse(phone_login).at("access_token").as_string()));
  const auto other = test::sign_up(api, "pavel");
  CHECK(api.call("POST", "/api/v1/user/login",
                 R"({"email":"olga@example.com","password":"not her password"})")
            .status == 401);

  auto listed = api.call("GET", "/api/v1/auth/sessions", {}, laptop.auth);
  REQUIRE(listed.status == 200);
  const auto sessions = parse(listed).at("sessions").as_array();
  REQUIRE(sessions.size() == 2);
  std::string phone_session;
  int current = 0;
  for (const auto& s : sessions) {
    current += s.at("current").as_bool() ? 1 : 0;
    if (s.at("ip") == "203.0.113.9") {
      phone_session = std::string(s.at("id").as_string());
      CHECK(s.at("device") == "KemasPhone/1.0");
    }
    CHECK(s.at("last_seen_at").as_string() >= s.at("created_at").as_string());
  }
  CHECK(current == 1);
  REQUIRE_FALSE(phone_session.empty());

  // Another user's session is not theirs to end; their own is.
  const auto pavel_sessions =
      parse(api.call("GET", "/api/v1/auth/sessions", {}, other.auth)).at("sessions").as_array();
  REQUIRE(pavel_sessions.size() == 1);
  const std::string pavel_session(pavel_sessions.at(0).at("id").as_string());
  CHECK(api.call("DELETE", "/api/v1/auth/sessions/" + pavel_session, {}, laptop.auth).status ==
        404);
  CHECK(api.call("GET", "/api/v1/auth/me", {}, other.auth).status == 200);
  CHECK(api.call("DELETE", "/api/v1/auth/sessions/" + phone_session, {}, laptop.auth).status ==
        204);
  CHECK(api.call("GET", "/api/v1/auth/me", {}, phone).status == 401);
  CHECK(api.call("GET", "/api/v1/auth/me", {}, laptop.auth).status == 200);

  // Activity: her logins and the failed one, none of Pavel's.
  const std::string key = api_key_header(api, laptop);
  std::vector<std::string> actions;
  REQUIRE(test::eventually(
      [&] {
        actions.clear();
        const auto page = parse(api.call("GET", "/api/v1/auth/activity", {}, laptop.auth));
        for (const auto& e : page.at("entries").as_array())
          actions.emplace_back(e.at("action").as_string());
        return actions.size() >= 4;
      },
      20s, 100ms));
  CHECK(std::count(actions.begin(), actions.end(), "auth.login") == 2);
  CHECK(std::count(actions.begin(), actions.end(), "auth.login_failed") == 1);
  CHECK(std::count(actions.begin(), actions.end(), "apikey.created") == 1);
  const auto pavel_activity = parse(api.call("GET", "/api/v1/auth/activity", {}, other.auth));
  for (const auto& e : pavel_activity.at("entries").as_array())
    CHECK(e.at("target_id").as_string() == other.id);
  CHECK(api.call("GET", "/api/v1/auth/activity", {}, key).status == 403);
  CHECK(api.call("GET", "/api/v1/auth/sessions", {}, key).status == 403);
  CHECK(api.call("GET", "/api/v1/auth/activity?cursor=zzz", {}, laptop.auth).status == 400);
}

TEST_CASE("an admin assigns a plan with an end and the account falls back to free at that end") {
  audited_api stack("admin-plan", [](config::settings& s) { s.upload.wait = 10s; });
  auto& api = stack.api;
  const auto admin = test::sign_up(api, "planadmin", "admin");
  const auto user = test::sign_up(api, "quentin");
  const std::string target = "/api/v1/admin/users/" + user.id;

  // Refused before anything is queued.
  CHECK(api.call("PATCH", target, R"({"plan":"no-such-plan"})", admin.auth).status == 400);
  CHECK(api.call("PATCH", target, R"({"plan":"premium","plan_expires_at":"2001-01-01T00:00:00Z"})",
                 admin.auth)
            .status == 400);
  CHECK(api.call("PATCH", target, R"({"plan":"free","plan_expires_at":"2100-01-01T00:00:00Z"})",
                 admin.auth)
            .status == 400);
  CHECK(api.call("PATCH", target, R"({"plan_expires_at":null})", admin.auth).status == 400);

  const auto end =
      std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now()) +
      3s;
  const std::string body =
      json::serialize(json::object{{"plan", "premium"}, {"plan_expires_at", format_rfc3339(end)}});
  auto assigned =
      api.call("PATCH", target, body, admin.auth + "X-Request-Id: admin-plan-assign\r\n");
  INFO(assigned.body);
  REQUIRE(assigned.status == 200);
  const auto now = parse(assigned).at("user").as_object();
  CHECK(now.at("plan") == "premium");
  CHECK(now.at("effective_plan") == "premium");
  CHECK(now.at("plan_expires_at").as_string() == format_rfc3339(end));

  // The account's own view agrees, and the scheduled expire ends it on time.
  auto plan_of = [&] {
    return std::string(
        parse(api.call("GET", target, {}, admin.auth)).at("user").at("plan").as_string());
  };
  CHECK(plan_of() == "premium");
  REQUIRE(test::eventually([&] { return plan_of() == "free"; }, 20s, 100ms));

  // The audit trail has the admin's change with before and after.
  auto change = json::array{};
  REQUIRE(test::eventually(
      [&] {
        // The scheduled expire carries the same request id (plan.expired): ask for the change.
        change =
            parse(api.call(
                      "GET",
                      "/api/v1/admin/audit?action=user.plan_changed&request_id=admin-plan-assign",
                      {}, admin.auth))
                .at("entries")
                .as_array();
        return !change.empty();
      },
      20s, 100ms));
  const auto entry = change.at(0).as_object();
  CHECK(entry.at("action") == "user.plan_changed");
  CHECK(entry.at("actor_id").as_string() == admin.id);
  CHECK(entry.at("before").at("plan") == "free");
  CHECK(entry.at("after").at("plan") == "premium");
  CHECK(entry.at("after").at("plan_expires_at").as_string() == format_rfc3339(end));
}

TEST_CASE("usage statistics count accounts and bytes and the day's uploads and downloads") {
  test::upload_env env("admin-stats");
  auto audit = test::start_worker("audit", env.api.database().settings().url,
                                  env.worker.vhost().name(), "admin-stats.audit");
  REQUIRE(audit.wait_for_stderr("\"msg\":\"amqp consumer connected\"", 20s));
  const auto& api = env.api;
  const auto admin = test::sign_up(api, "statsadmin", "admin");
  const auto user = test::sign_up(api, "sally");
  const std::string body(5000, 'x');
  auto uploaded = test::upload_raw(api, user.auth, "stats.bin", body, "application/octet-stream");
  REQUIRE(uploaded.status == 201);
  const std::string file_id(parse(uploaded).at("id").as_string());
  for (int i = 0; i < 2; ++i)
    REQUIRE(api.call("GET", "/api/v1/auth/files/download/" + file_id, {}, user.auth).status == 200);

  auto stats = [&](const std::string& query) {
    auto r = api.call("GET", "/api/v1/admin/stats" + query, {}, admin.auth);
    REQUIRE(r.status == 200);
    return parse(r);
  };
  // Uploads come from the audit trail, downloads from the api's tally (flushed every 10 s).
  json::object now;
  REQUIRE(test::eventually(
      [&] {
        now = stats("?days=7");
        const auto& today = now.at("days").as_array().back();
        return today.at("uploads").as_int64() == 1 && today.at("downloads").as_int64() == 2;
      },
      30s, 250ms));
  CHECK(now.at("accounts").as_int64() == 2);
  CHECK(now.at("bytes_stored").as_int64() == 5000);
  CHECK(now.at("files").as_int64() == 1);
  CHECK(now.at("days").as_array().size() == 7);
  const auto& today = now.at("days").as_array().back();
  CHECK(today.at("upload_bytes").as_int64() == 5000);
  CHECK(today.at("download_bytes").as_int64() == 10000);
  CHECK(today.at("active_users").as_int64() >= 2);
  CHECK(now.at("top_users").at(0).at("id").as_string() == user.id);
  std::int64_t admins = 0;
  for (const auto& c : now.at("by_plan_and_role").as_array()) {
    if (c.at("role") == "admin")
      admins += c.at("accounts").as_int64();
  }
  CHECK(admins == 1);

  // The upload is in the audit trail with its actor, address and request id.
  const auto uploads =
      parse(api.call("GET", "/api/v1/admin/audit?action=file.uploaded", {}, admin.auth))
          .at("entries")
          .as_array();
  REQUIRE(uploads.size() == 1);
  const auto upload = uploads.at(0).as_object();
  CHECK(upload.at("actor_id").as_string() == user.id);
  CHECK(upload.at("target_id").as_string() == file_id);
  CHECK_FALSE(upload.at("actor_ip").is_null());
  CHECK_FALSE(upload.at("request_id").is_null());
  CHECK(upload.at("after").at("size").as_int64() == 5000);

  // The chain over everything these requests wrote holds; an edited row is named.
  const auto settings = api.database().settings();
  const auto intact = test::run_admin(settings, {"audit", "verify"});
  INFO(intact.err);
  CHECK(intact.status == 0);
  const auto seq = upload.at("seq").as_int64();
  {
    postgres::pg_pool pool(settings, "kemas-test");
    pool.with_session([seq](soci::session& sql) {
      sql << "UPDATE audit_log SET after = jsonb_set(after, '{size}', '1') WHERE chain_seq = :s",
          soci::use(seq);
    });
  }
  const auto broken = test::run_admin(settings, {"audit", "verify"});
  CHECK(broken.status == 1);
  CHECK(broken.out.find("BROKEN at chain_seq " + std::to_string(seq) + " ") != std::string::npos);
  CHECK(stats("").at("days").as_array().size() == 30);
  CHECK(api.call("GET", "/api/v1/admin/stats?days=0", {}, admin.auth).status == 400);
  CHECK(api.call("GET", "/api/v1/admin/stats?days=367", {}, admin.auth).status == 400);
}
