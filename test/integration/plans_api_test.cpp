// Step 4's plan catalog through the real kemas-api wiring (api_fixture: scratch database):
// the public catalog, the admins' plan management (403 for everyone else, 409 for a plan in
// use, 400 naming the field, events in the outbox), the [plans] overrides that
// kemas-admin migrate applies idempotently, and kemas-admin expire-sweep.
#include <doctest/doctest.h>

#include <soci/soci.h>
#include <boost/json.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "domain/commands/envelope_codec.hpp"
#include "adapters/amqp/command_message.hpp"
#include "adapters/postgres/pool.hpp"
#include "adapters/postgres/repositories/plan_repository.hpp"
#include "test/support/amqp_fixture.hpp"
#include "test/support/api_fixture.hpp"
#include "test/support/child_process.hpp"
#include "test/support/outbox_fixture.hpp"
#include "test/support/relay_fixture.hpp"

using namespace kemas::test;
namespace json = boost::json;
namespace pg = kemas::postgres;

namespace {

void tweak(kemas::config::settings& s) {
  s.ratelimit.auth_limit = 1000;  // many sign-ups from one fixture address
}

// Registers and logs in; with `role` set in the database first, so the session carries it.
std::string sign_up(const api_fixture& api, const std::string& name,
                    const std::string& role = "user") {
  const std::string email = name + "@example.com";
  auto reg = api.call("POST", "/api/v1/user/register",
                      json::serialize(json::object{
                          {"email", email}, {"username", name}, {"password", "correct horse 1"}}));
  REQUIRE(reg.status == 201);
  if (role != "user") {
    pg::pg_pool pool(api.database().settings(), "kemas-test");
    pool.with_session([&](soci::session& sql) {
      sql << "UPDATE users SET role = :role WHERE lower(email) = :email", soci::use(role, "role"),
          soci::use(email, "email");
    });
  }
  auto r =
      api.call("POST", "/api/v1/user/login",
               json::serialize(json::object{{"email", email}, {"password", "correct horse 1"}}));
  REQUIRE(r.status == 200);
  return bearer(std::string(parse(r).at("access_token").as_string()));
}

const json::object* plan_named(const json::array& plans, std::string_view name) {
  for (const auto& p : plans) {
    if (p.at("name").as_string() == name)
      return &p.as_object();
  }
  return nullptr;
}

std::vector<json::object> plan_events(const api_fixture& api) {
  pg::pg_pool pool(api.database().settings(), "kemas-test");
  auto all = pool.with_session(kemas::test::outbox_events);
  std::vector<json::object> out;
  for (auto& e : all) {
    if (e.at("type").as_string().starts_with("plan."))
      out.push_back(std::move(e));
  }
  return out;
}

}  // namespace

TEST_CASE("GET /api/v1/plans is public and cacheable / and lists public plans only") {
  api_fixture api(tweak);
  const auto admin = sign_up(api, "catalogadmin", "admin");
  auto hidden = api.call("POST", "/api/v1/admin/plans",
                         R"({"name":"legacy","display_name":"Legacy","quota_bytes":10,
                             "max_file_bytes":5,"duration_seconds":60,"public":false})",
                         admin);
  REQUIRE(hidden.status == 201);

  auto r = api.call("GET", "/api/v1/plans");  // no credentials at all
  REQUIRE(r.status == 200);
  CHECK(r.header("cache-control") == "public, max-age=60");
  CHECK_FALSE(r.header("ratelimit-limit").has_value());
  const auto plans = parse(r).at("plans").as_array();
  CHECK(plan_named(plans, "legacy") == nullptr);
  const auto* free = plan_named(plans, "free");
  const auto* premium = plan_named(plans, "premium");
  REQUIRE(free != nullptr);
  REQUIRE(premium != nullptr);
  CHECK(free->at("duration_seconds").is_null());
  CHECK(free->at("price_cents").as_int64() == 0);
  CHECK(premium->at("duration_seconds").as_int64() == 30LL * 24 * 3600);
  CHECK(premium->at("price_cents").as_int64() == 500);
  CHECK(premium->at("currency").as_string() == "USD");
  CHECK(premium->at("quota_bytes").as_int64() > free->at("quota_bytes").as_int64());
  for (const char* key : {"id", "display_name", "max_file_bytes"})
    CHECK(premium->contains(key));
  CHECK_FALSE(premium->contains("public"));  // admin-only detail
}

TEST_CASE("admin plan routes refuse everyone but admins") {
  api_fixture api(tweak);
  const auto user = sign_up(api, "plainuser");
  const auto developer = sign_up(api, "somedev", "developer");
  const std::string body = R"({"name":"x1","display_name":"X","quota_bytes":1,"max_file_bytes":1})";
  for (const auto& who : {user, developer}) {
    CHECK(api.call("GET", "/api/v1/admin/plans", {}, who).status == 403);
    CHECK(api.call("POST", "/api/v1/admin/plans", body, who).status == 403);
    CHECK(api.call("GET", "/api/v1/admin/plans/1", {}, who).status == 403);
    CHECK(api.call("PATCH", "/api/v1/admin/plans/1", R"({"quota_bytes":1})", who).status == 403);
    CHECK(api.call("DELETE", "/api/v1/admin/plans/2", {}, who).status == 403);
  }
  auto anonymous = api.call("GET", "/api/v1/admin/plans");
  CHECK(anonymous.status == 401);

  // An admin's API key never reaches admin routes.
  const auto admin = sign_up(api, "keyadmin", "admin");
  auto key = api.call("POST", "/api/v1/auth/keys",
                      R"({"name":"k","scopes":["files:read","files:write"]})", admin);
  REQUIRE(key.status == 201);
  const std::string with_key =
      "Authorization: ApiKey " + std::string(parse(key).at("key").as_string()) + "\r\n";
  CHECK(api.call("GET", "/api/v1/admin/plans", {}, with_key).status == 403);
  CHECK(api.call("GET", "/api/v1/admin/plans", {}, admin).status == 200);
  CHECK(plan_events(api).empty());  // nothing was changed by the refused calls
}

TEST_CASE("admins create and read and update and delete plans / with events and clear refusals") {
  api_fixture api(tweak);
  const auto admin = sign_up(api, "planadmin", "admin");

  auto created = api.call("POST", "/api/v1/admin/plans",
                          R"({"name":"gold","display_name":"Gold","quota_bytes":5000,
                              "max_file_bytes":1000,"price_cents":900,"currency":"EUR",
                              "duration_seconds":3600})",
                          admin);
  REQUIRE(created.status == 201);
  const auto gold = parse(created);
  const auto id = std::to_string(gold.at("id").as_int64());
  CHECK(created.header("location") == "/api/v1/admin/plans/" + id);
  CHECK(gold.at("public").as_bool());
  CHECK(gold.at("currency").as_string() == "EUR");

  SUBCASE("refusals name the field") {
    auto dup =
        api.call("POST", "/api/v1/admin/plans",
                 R"({"name":"gold","display_name":"G","quota_bytes":1,"max_file_bytes":1})", admin);
    CHECK(dup.status == 409);
    CHECK(error_code(dup) == "conflict");
    struct bad_case {
      const char* body;
      const char* field;
    };
    for (
        const auto& c : std::initializer_list<bad_case>{
            {R"({"name":"Bad Name","display_name":"B","quota_bytes":1,"max_file_bytes":1})",
             "name"},
            {R"({"display_name":"B","quota_bytes":1,"max_file_bytes":1})", "name"},
            {R"({"name":"b1","display_name":"","quota_bytes":1,"max_file_bytes":1})",
             "display_name"},
            {R"({"name":"b1","display_name":"B","quota_bytes":-1,"max_file_bytes":1})",
             "quota_bytes"},
            {R"({"name":"b1","display_name":"B","quota_bytes":1,"max_file_bytes":0})",
             "max_file_bytes"},
            {R"({"name":"b1","display_name":"B","quota_bytes":1,"max_file_bytes":1,"currency":"eu"})",
             "currency"},
            {R"({"name":"b1","display_name":"B","quota_bytes":1,"max_file_bytes":1,"duration_seconds":0})",
             "duration_seconds"},
            {R"({"name":"b1","display_name":"B","quota_bytes":"1","max_file_bytes":1})",
             "quota_bytes"},
            {R"({"name":"b1","display_name":"B","quota_bytes":1,"max_file_bytes":1,"quota":5})",
             "quota"},
            {R"({"name":"b1","display_name":"B","quota_bytes":1,"max_file_bytes":1,"max_share_links":-1})",
             "max_share_links"},
        }) {
      CAPTURE(c.body);
      auto r = api.call("POST", "/api/v1/admin/plans", c.body, admin);
      CHECK(r.status == 400);
      CHECK(parse(r).at("error").at("field").as_string() == c.field);
    }
    auto rename = api.call("PATCH", "/api/v1/admin/plans/" + id, R"({"name":"platinum"})", admin);
    CHECK(rename.status == 400);
    CHECK(parse(rename).at("error").at("field").as_string() == "name");
    CHECK(api.call("GET", "/api/v1/admin/plans/999999", {}, admin).status == 404);
    CHECK(api.call("GET", "/api/v1/admin/plans/abc", {}, admin).status == 404);
  }

  SUBCASE("update changes only what is sent and emits before/after") {
    auto patched = api.call(
        "PATCH", "/api/v1/admin/plans/" + id,
        R"({"quota_bytes":7000,"duration_seconds":null,"name":"gold","max_share_links":3})", admin);
    REQUIRE(patched.status == 200);
    const auto after = parse(patched);
    CHECK(after.at("quota_bytes").as_int64() == 7000);
    CHECK(after.at("max_share_links").as_int64() == 3);
    CHECK(after.at("duration_seconds").is_null());
    CHECK(after.at("price_cents").as_int64() == 900);
    auto same = api.call("PATCH", "/api/v1/admin/plans/" + id, R"({"quota_bytes":7000})", admin);
    CHECK(same.status == 200);
    const auto events = plan_events(api);
    REQUIRE(events.size() == 2);  // created, one update (the no-op wrote nothing)
    CHECK(events[1].at("type").as_string() == "plan.updated");
    CHECK(events[1].at("subject").at("type").as_string() == "plan");
    CHECK(events[1].at("subject").at("id").as_string() == "gold");
    const auto& data = events[1].at("data").as_object();
    CHECK(data.at("before").at("quota_bytes").as_int64() == 5000);
    CHECK(data.at("after").at("quota_bytes").as_int64() == 7000);
    CHECK(data.at("before").at("max_share_links").as_int64() == 20);
    CHECK(data.at("after").at("max_share_links").as_int64() == 3);
    CHECK(data.at("after").at("duration_seconds").is_null());
    CHECK_FALSE(data.at("after").as_object().contains("price_cents"));
    for (const auto& e : events)
      CHECK(kemas::test::event_schema_problems(e) == "");
  }

  SUBCASE("free stays the never-expiring fallback") {
    auto all = parse(api.call("GET", "/api/v1/admin/plans", {}, admin)).at("plans").as_array();
    const auto free_id = std::to_string(plan_named(all, "free")->at("id").as_int64());
    auto timed =
        api.call("PATCH", "/api/v1/admin/plans/" + free_id, R"({"duration_seconds":60})", admin);
    CHECK(timed.status == 400);
    CHECK(parse(timed).at("error").at("field").as_string() == "duration_seconds");
    auto gone = api.call("DELETE", "/api/v1/admin/plans/" + free_id, {}, admin);
    CHECK(gone.status == 409);
  }

  SUBCASE("a plan in use cannot be deleted, an unused one can") {
    auto all = parse(api.call("GET", "/api/v1/admin/plans", {}, admin)).at("plans").as_array();
    const auto premium_id = std::to_string(plan_named(all, "premium")->at("id").as_int64());
    pg::pg_pool pool(api.database().settings(), "kemas-test");
    // An account on premium; then an order that bought gold (no account on it).
    pool.with_session([&](soci::session& sql) {
      sql << "UPDATE users SET plan_id = (SELECT id FROM plans WHERE name = 'premium'), "
             "plan_expires_at = now() + interval '1 hour' WHERE username = 'planadmin'";
    });
    auto premium_delete = api.call("DELETE", "/api/v1/admin/plans/" + premium_id, {}, admin);
    CHECK(premium_delete.status == 409);
    CHECK(error_code(premium_delete) == "conflict");

    auto spare = api.call(
        "POST", "/api/v1/admin/plans",
        R"({"name":"spare","display_name":"Spare","quota_bytes":1,"max_file_bytes":1})", admin);
    REQUIRE(spare.status == 201);
    const auto spare_id = std::to_string(parse(spare).at("id").as_int64());
    pool.with_session([&](soci::session& sql) {
      sql << "INSERT INTO orders (user_id, plan_id, amount_cents, currency, state) "
             "SELECT id, " +
                 spare_id + ", 0, 'USD', 'paid' FROM users WHERE username = 'planadmin'";
    });
    CHECK(api.call("DELETE", "/api/v1/admin/plans/" + spare_id, {}, admin).status == 409);

    CHECK(api.call("DELETE", "/api/v1/admin/plans/" + id, {}, admin).status == 204);
    CHECK(api.call("GET", "/api/v1/admin/plans/" + id, {}, admin).status == 404);
    CHECK(api.call("DELETE", "/api/v1/admin/plans/" + id, {}, admin).status == 404);
    const auto events = plan_events(api);
    REQUIRE_FALSE(events.empty());
    CHECK(events.back().at("type").as_string() == "plan.deleted");
    CHECK(events.back().at("data").at("plan").at("name").as_string() == "gold");
    CHECK(events.back().at("actor").at("user_id").is_string());
  }
}

TEST_CASE(
    "plan overrides from the settings are applied once / and kemas-admin migrate applies them") {
  kemas::test::migrated_database db("plans_overrides");
  pg::pg_pool pool(db.settings(), "kemas-test");
  kemas::config::plans_settings overrides;
  overrides.free_quota = 2048;
  overrides.premium_duration = std::chrono::seconds(120);
  overrides.premium_currency = "EUR";
  overrides.premium_price_cents = 500;  // the seed's value: not a change

  auto first = pool.with_session(
      [&](soci::session& sql) { return pg::apply_plan_settings(sql, overrides); });
  CHECK(first.size() == 3);
  auto second = pool.with_session(
      [&](soci::session& sql) { return pg::apply_plan_settings(sql, overrides); });
  CHECK(second.empty());
  pool.with_session([&](soci::session& sql) {
    long long quota = 0, duration = 0;
    std::string currency;
    sql << "SELECT quota_bytes FROM plans WHERE name = 'free'", soci::into(quota);
    sql << "SELECT duration_seconds, currency FROM plans WHERE name = 'premium'",
        soci::into(duration), soci::into(currency);
    CHECK(quota == 2048);
    CHECK(duration == 120);
    CHECK(currency == "EUR");
    auto events = kemas::test::outbox_events(sql);
    REQUIRE(events.size() == 2);  // one plan.updated per changed plan
    CHECK(events[0].at("data").at("via").as_string() == "config");
    CHECK(events[0].at("actor").at("user_id").is_null());
  });

  // The same through the binary, from the environment.
  namespace fs = std::filesystem;
  const std::string program = std::string(KEMAS_BINARY_DIR) + "/app/admin/kemas-admin";
  REQUIRE_MESSAGE(fs::exists(program), "build the kemas-admin target first: " << program);
  const auto out = fs::temp_directory_path() / ("kemas_plans_" + db.name());
  auto run_migrate = [&] {
    kemas::test::child_process::options options;
    options.program = program;
    options.args = {"--config", std::string(KEMAS_SOURCE_DIR) + "/conf/kemas.toml", "migrate",
                    "--dir", std::string(KEMAS_SOURCE_DIR) + "/schemas/migrations"};
    options.env = {{"KEMAS_POSTGRES_URL", db.settings().url},
                   {"KEMAS_POSTGRES_PASSWORD", db.settings().password},
                   {"KEMAS_ENV", "development"},
                   {"KEMAS_LOG_FORMAT", "text"},
                   {"KEMAS_PLANS_PREMIUM_DURATION", "2m"},
                   {"KEMAS_PLANS_PREMIUM_QUOTA", "1GiB"}};
    options.stdout_path = out.string() + ".out";
    options.stderr_path = out.string() + ".err";
    kemas::test::child_process child(std::move(options));
    const auto status = child.wait_for(std::chrono::seconds(60));
    std::ifstream printed(out.string() + ".out");
    std::string text((std::istreambuf_iterator<char>(printed)), {});
    INFO(text << child.stderr_text());
    REQUIRE(status == 0);
    return text;
  };
  const auto first_run = run_migrate();
  CHECK(first_run.find("plan premium.quota_bytes") != std::string::npos);
  CHECK(first_run.find("premium.duration_seconds") == std::string::npos);  // already 120
  const auto second_run = run_migrate();
  CHECK(second_run.find("plan ") == std::string::npos);
  fs::remove(out.string() + ".out");
  fs::remove(out.string() + ".err");
  pool.stop();
}

TEST_CASE("kemas-admin expire-sweep publishes one expire-sweep command") {
  kemas::test::scratch_vhost vhost("admin-sweep");
  const std::string program = std::string(KEMAS_BINARY_DIR) + "/app/admin/kemas-admin";
  REQUIRE_MESSAGE(std::filesystem::exists(program), "build kemas-admin first: " << program);
  const auto out = std::filesystem::temp_directory_path() / ("kemas_sweep_" + vhost.name());
  kemas::test::child_process::options options;
  options.program = program;
  options.args = {"--config", std::string(KEMAS_SOURCE_DIR) + "/conf/kemas.toml", "expire-sweep"};
  options.env = kemas::test::run_env_file();
  options.env.emplace_back("KEMAS_AMQP_VHOST", vhost.name());
  options.env.emplace_back("KEMAS_LOG_FORMAT", "text");
  options.stdout_path = out.string() + ".out";
  options.stderr_path = out.string() + ".err";
  kemas::test::child_process child(std::move(options));
  const auto status = child.wait_for(std::chrono::seconds(30));
  std::ifstream printed(out.string() + ".out");
  const std::string text((std::istreambuf_iterator<char>(printed)), {});
  INFO(text << child.stderr_text());
  REQUIRE(status == 0);
  CHECK(text.starts_with("published expire-sweep "));

  auto taken = kemas::test::take_matching(
      vhost.amqp_settings(), "kemas.commands.expire-sweep", [](const auto&) { return true; }, 1,
      std::chrono::seconds(5));
  REQUIRE(taken.size() == 1);
  auto envelope = kemas::commands::decode_envelope(taken[0].body);
  REQUIRE(envelope.has_value());
  CHECK(text.find(envelope->id) != std::string::npos);
  CHECK_FALSE(envelope->actor.user_id.has_value());
  CHECK(envelope->payload.empty());
  std::filesystem::remove(out.string() + ".out");
  std::filesystem::remove(out.string() + ".err");
}
