// The audit role: how an event becomes an audit_log row (mapping, redaction, malformed
// events), idempotent storing against a scratch database, and the real kemas-worker
// --role audit in a vhost of its own: duplicates stored once, the reset token redacted,
// malformed events dead-lettered with the reason, SIGTERM exits 0.

#include "adapters/amqp/publisher.hpp"
#include "adapters/postgres/pool.hpp"
#include "adapters/postgres/errors.hpp"
#include "adapters/postgres/repositories/audit_chain.hpp"
#include "adapters/postgres/repositories/audit_repository.hpp"
#include "adapters/support/random.hpp"
#include "test/support/amqp_fixture.hpp"
#include "test/support/outbox_fixture.hpp"
#include "test/support/pg_statements.hpp"
#include "test/support/relay_fixture.hpp"
#include "workers/audit_consumer.hpp"

#include <doctest/doctest.h>
#include <soci/soci.h>
#include <boost/json.hpp>

#include <csignal>

using namespace kemas;
using namespace std::chrono_literals;
namespace json = boost::json;

using kemas::test::header_text;

namespace {

postgres::audit_record record_of(const std::string& body) {
  auto verdict = worker::audit_record_from_event(body);
  if (auto* problem = std::get_if<std::string>(&verdict))
    FAIL("unexpectedly malformed: ", *problem);
  return std::get<postgres::audit_record>(std::move(verdict));
}

std::string problem_of(const json::object& event) {
  auto verdict = worker::audit_record_from_event(json::serialize(event));
  const auto* problem = std::get_if<std::string>(&verdict);
  return problem != nullptr ? *problem : std::string("<accepted>");
}

json::object sample_event(std::string type) {
  return json::object{
      {"id", support::random_uuid().to_string()},
      {"type", std::move(type)},
      {"version", 1},
      {"occurred_at", "2024-05-01T12:34:56.789Z"},
      {"request_id", test::unique_id("req")},
      {"actor", {{"user_id", "0b7e2f3a-9c4d-4e5f-8a6b-7c8d9e0f1a2b"}, {"ip", "203.0.113.7"}}},
      {"subject", {{"type", "user"}, {"id", "5d1c7a10-2f3e-4a5b-9c6d-7e8f9a0b1c2d"}}},
      {"data", json::object{}},
  };
}

// One audit_log row, every column as text ("" for NULL).
struct stored_row {
  std::string event_id, action, actor_id, actor_ip, target_type, target_id, before, after,
      request_id, occurred_at;
};

std::vector<stored_row> audit_rows(soci::session& sql, const std::string& event_id) {
  soci::rowset<soci::row> rows = (sql.prepare << R"(
      SELECT event_id::text, action, coalesce(actor_id::text, ''), coalesce(host(actor_ip), ''),
             coalesce(target_type, ''), coalesce(target_id, ''), coalesce(before::text, ''),
             coalesce(after::text, ''), coalesce(request_id, ''),
             to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
      FROM audit_log WHERE event_id = CAST(:id AS uuid))",
                                  soci::use(event_id, "id"));
  std::vector<stored_row> out;
  for (const soci::row& r : rows) {
    out.push_back({r.get<std::string>(0), r.get<std::string>(1), r.get<std::string>(2),
                   r.get<std::string>(3), r.get<std::string>(4), r.get<std::string>(5),
                   r.get<std::string>(6), r.get<std::string>(7), r.get<std::string>(8),
                   r.get<std::string>(9)});
  }
  return out;
}

long long count_of(soci::session& sql, const std::string& query) {
  long long n = 0;
  sql << query, soci::into(n);
  return n;
}

}  // namespace

TEST_CASE("an event maps to an audit record with before and after from data") {
  json::object event = sample_event("user.role_changed");
  event["data"] = json::object{
      {"before", {{"role", "user"}}}, {"after", {{"role", "admin"}}}, {"via", "kemas-admin"}};
  const auto record = record_of(json::serialize(event));
  CHECK(record.event_id.to_string() == event["id"].as_string());
  CHECK(record.action == "user.role_changed");
  REQUIRE(record.occurred_at.has_value());
  CHECK(record.occurred_at->time_since_epoch().count() == 1714566896789);
  CHECK(record.actor_id->to_string() == "0b7e2f3a-9c4d-4e5f-8a6b-7c8d9e0f1a2b");
  CHECK(*record.actor_ip == "203.0.113.7");
  CHECK(*record.target_type == "user");
  CHECK(*record.target_id == "5d1c7a10-2f3e-4a5b-9c6d-7e8f9a0b1c2d");
  CHECK(*record.request_id == event["request_id"].as_string());
  CHECK(*record.before == json::value(json::object{{"role", "user"}}));
  // The other keys of data join `after` (audit_log has no column of their own).
  CHECK(*record.after == json::value(json::object{{"role", "admin"}, {"via", "kemas-admin"}}));
}

TEST_CASE("event details without before and after land in after") {
  json::object event = sample_event("apikey.created");
  event["data"] = json::object{
      {"name", "ci"}, {"prefix", "0123456789ab"}, {"scopes", json::array{"files:read"}}};
  const auto record = record_of(json::serialize(event));
  CHECK_FALSE(record.before.has_value());
  CHECK(*record.after == json::value(event["data"]));

  event["data"] = json::object{};
  CHECK_FALSE(record_of(json::serialize(event)).after.has_value());
}

TEST_CASE("the password reset token and other secrets are redacted") {
  json::object event = sample_event("auth.password_reset_requested");
  const std::string token = support::random_hex(20);
  event["data"] =
      json::object{{"email", "a@example.org"},
                   {"username", "alice"},
                   {"token", token},
                   {"expires_at", "2024-05-01T13:04:56.789Z"},
                   {"nested", json::object{{"password", "hunter22"},
                                           {"list", json::array{json::object{{"secret", "s"}}}}}}};
  const auto record = record_of(json::serialize(event));
  REQUIRE(record.after.has_value());
  const auto& after = record.after->as_object();
  CHECK(after.at("token") == "[redacted]");
  CHECK(after.at("email") == "a@example.org");
  CHECK(after.at("expires_at") == "2024-05-01T13:04:56.789Z");
  CHECK(after.at("nested").at("password") == "[redacted]");
  CHECK(after.at("nested").at("list").at(0).at("secret") == "[redacted]");
  CHECK(json::serialize(*record.after).find(token) == std::string::npos);
}

TEST_CASE("a minimal event is accepted with nulls") {
  const std::string id = support::random_uuid().to_string();
  const auto record = record_of(R"({"id":")" + id + R"(","type":"file.uploaded"})");
  CHECK(record.event_id.to_string() == id);
  CHECK_FALSE(record.occurred_at.has_value());  // stored as the time of storing
  CHECK_FALSE(record.actor_id.has_value());
  CHECK_FALSE(record.actor_ip.has_value());
  CHECK_FALSE(record.target_type.has_value());
  CHECK_FALSE(record.request_id.has_value());
  CHECK_FALSE(record.before.has_value());
  CHECK_FALSE(record.after.has_value());
  // null actor fields of system events
  json::object system_event = sample_event("user.disabled");
  system_event["actor"] = json::object{{"user_id", nullptr}, {"ip", nullptr}};
  const auto system_record = record_of(json::serialize(system_event));
  CHECK_FALSE(system_record.actor_id.has_value());
  CHECK_FALSE(system_record.actor_ip.has_value());
  // IPv6 addresses are addresses too
  system_event["actor"] = json::object{{"user_id", nullptr}, {"ip", "2001:db8::1"}};
  CHECK(*record_of(json::serialize(system_event)).actor_ip == "2001:db8::1");
}

TEST_CASE("malformed events are refused with a reason") {
  CHECK(worker::check_audit_event("nope")->find("not valid JSON") != std::string::npos);
  CHECK(worker::check_audit_event("[1]")->find("not a JSON object") != std::string::npos);
  const json::object good = sample_event("auth.login");
  CHECK(problem_of(good) == "<accepted>");

  auto with = [&](std::string_view key, json::value value) {
    json::object e = good;
    e[key] = std::move(value);
    return problem_of(e);
  };
  CHECK(with("id", "x").find("'id'") != std::string::npos);
  CHECK(with("type", "").find("'type'") != std::string::npos);
  CHECK(with("type", json::value(std::string(101, 'a'))).find("'type'") != std::string::npos);
  CHECK(with("version", 2).find("unsupported event version 2") == 0);
  CHECK(with("occurred_at", "yesterday").find("'occurred_at'") != std::string::npos);
  CHECK(with("request_id", 42).find("'request_id'") != std::string::npos);
  CHECK(with("actor", json::object{{"user_id", "nobody"}}).find("'actor.user_id'") !=
        std::string::npos);
  CHECK(with("actor", json::object{{"ip", "not-an-ip"}}).find("'actor.ip'") != std::string::npos);
  CHECK(with("actor", json::object{{"ip", "fe80::1%eth0"}}).find("'actor.ip'") !=
        std::string::npos);
  CHECK(with("subject", "user").find("'subject'") != std::string::npos);
  CHECK(with("data", json::array{}).find("'data'") != std::string::npos);
}

TEST_CASE("storing an audit record is idempotent by event id") {
  test::migrated_database db("audit_store");
  postgres::pg_pool pool(db.settings(), "kemas-it-audit");
  json::object event = sample_event("user.role_changed");
  event["data"] = json::object{{"before", {{"role", "user"}}}, {"after", {{"role", "admin"}}}};
  const auto record = record_of(json::serialize(event));
  const std::string id = record.event_id.to_string();

  CHECK(pool.with_session(
      [&](soci::session& sql) { return postgres::insert_audit_record(sql, record); }));
  CHECK_FALSE(pool.with_session(
      [&](soci::session& sql) { return postgres::insert_audit_record(sql, record); }));

  const auto rows = pool.with_session([&](soci::session& sql) { return audit_rows(sql, id); });
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].action == "user.role_changed");
  CHECK(rows[0].occurred_at == "2024-05-01T12:34:56.789Z");
  CHECK(rows[0].actor_id == "0b7e2f3a-9c4d-4e5f-8a6b-7c8d9e0f1a2b");
  CHECK(rows[0].actor_ip == "203.0.113.7");
  CHECK(rows[0].target_type == "user");
  CHECK(rows[0].target_id == "5d1c7a10-2f3e-4a5b-9c6d-7e8f9a0b1c2d");
  CHECK(json::parse(rows[0].before) == json::parse(R"({"role":"user"})"));
  CHECK(json::parse(rows[0].after) == json::parse(R"({"role":"admin"})"));
  CHECK(rows[0].request_id == event["request_id"].as_string());

  // No occurred_at: the time of storing.
  postgres::audit_record bare;
  bare.event_id = support::random_uuid();
  bare.action = "file.uploaded";
  CHECK(pool.with_session(
      [&](soci::session& sql) { return postgres::insert_audit_record(sql, bare); }));
  CHECK(pool.with_session([&](soci::session& sql) {
    return count_of(
        sql, "SELECT count(*) FROM audit_log WHERE event_id = '" + bare.event_id.to_string() +
                 "' AND occurred_at > now() - interval '1 minute' AND actor_id IS NULL");
  }) == 1);
}

TEST_CASE("a group of audit records is one statement in order and skips duplicates") {
  test::migrated_database db("audit_group");
  postgres::pg_pool pool(db.settings(), "kemas-it-audit");
  test::pg_statement_meter meter(db.name(), db.settings());
  const auto stored_before = record_of(json::serialize(sample_event("auth.login")));
  REQUIRE(pool.with_session(
      [&](soci::session& sql) { return postgres::insert_audit_record(sql, stored_before); }));

  const auto a = record_of(json::serialize(sample_event("file.uploaded")));
  const auto b = record_of(json::serialize(sample_event("file.deleted")));
  const auto c = record_of(json::serialize(sample_event("plan.upgraded")));
  // A delivered twice into the same group, and an event stored by an earlier group.
  const std::vector<postgres::audit_record> group{a, b, a, stored_before, c};
  const auto inserts = [&] { return meter.statements_like("INSERT INTO audit_log%"); };
  const long long before = inserts();
  const std::vector<bool> inserted = pool.with_session(
      [&](soci::session& sql) { return postgres::insert_audit_records(sql, group); });
  CHECK(inserts() - before == 1);
  CHECK(inserted == std::vector<bool>{true, true, false, false, true});

  // Linked in the group's order, after what was there, and the chain holds.
  const auto order = pool.with_session([](soci::session& sql) {
    std::vector<std::string> ids(10);
    sql << "SELECT event_id::text FROM audit_log ORDER BY chain_seq", soci::into(ids);
    return ids;
  });
  CHECK(order == std::vector<std::string>{stored_before.event_id.to_string(),
                                          a.event_id.to_string(), b.event_id.to_string(),
                                          c.event_id.to_string()});
  const auto chain = pool.with_session(
      [](soci::session& sql) { return postgres::verify_audit_chain(sql); });
  CHECK(chain.rows == 4);
  CHECK_FALSE(chain.broken.has_value());
}

TEST_CASE("an audit record PostgreSQL refuses fails its whole group and nothing of it is stored") {
  test::migrated_database db("audit_group_refused");
  postgres::pg_pool pool(db.settings(), "kemas-it-audit");
  const auto good = record_of(json::serialize(sample_event("file.uploaded")));
  json::object refused_event = sample_event("file.uploaded");
  // Valid JSON, but jsonb cannot hold U+0000.
  refused_event["data"] = json::object{{"name", std::string("a\0b", 3)}};
  const auto refused = record_of(json::serialize(refused_event));
  const std::vector<postgres::audit_record> group{good, refused};

  bool threw = false;
  try {
    pool.with_session(
        [&](soci::session& sql) { return postgres::insert_audit_records(sql, group); });
  } catch (const std::exception& e) {
    threw = true;
    CHECK_FALSE(postgres::is_transient(postgres::classify(e)));
  }
  CHECK(threw);
  CHECK(pool.with_session(
            [](soci::session& sql) { return count_of(sql, "SELECT count(*) FROM audit_log"); }) == 0);
  CHECK(pool.with_session(
      [&](soci::session& sql) { return postgres::insert_audit_record(sql, good); }));
}

TEST_CASE("kemas-worker --role audit stores a waiting burst in groups and dead-letters only the refused event") {
  test::scratch_vhost vhost("audit-burst");
  test::migrated_database db("audit_burst");
  const auto amqp = vhost.amqp_settings();
  amqp::amqp_publisher publisher(
      amqp, {"kemas audit test publisher", amqp::kemas_topology(amqp.delivery_limit)});
  // Every event waits in the queue before the worker starts, as after a burst of uploads.
  constexpr int burst = 300;
  std::string refused_id;
  for (int i = 0; i <= burst; ++i) {
    json::object event = sample_event("file.uploaded");
    if (i == burst / 2)
      event["data"] = json::object{{"name", std::string("a\0b", 3)}};  // jsonb refuses it
    amqp::outgoing_message m;
    m.exchange = "kemas.events";
    m.routing_key = m.type = "file.uploaded";
    m.message_id = std::string(event["id"].as_string());
    if (i == burst / 2)
      refused_id = m.message_id;
    m.body = json::serialize(event);
    const auto result = publisher.publish_sync(std::move(m));
    REQUIRE_MESSAGE(result.ok(), result.detail);
  }
  test::pg_statement_meter meter(db.name(), db.settings());
  test::child_process worker =
      test::start_worker("audit", db.settings().url, vhost.name(), "audit_store_test.burst");

  postgres::pg_pool pool(db.settings(), "kemas-it-audit");
  const auto stored = [&] {
    return pool.with_session(
        [](soci::session& sql) { return count_of(sql, "SELECT count(*) FROM audit_log"); });
  };
  REQUIRE_MESSAGE(test::eventually([&] { return stored() >= burst; }, 30s), worker.stderr_text());
  const auto dead = test::take_matching(amqp, "kemas.dead-letters",
                                        test::message_id_in({refused_id}), 1, 20s);
  REQUIRE_MESSAGE(dead.size() == 1, worker.stderr_text());
  CHECK(header_text(dead[0], "x-kemas-reason").find("audit store failed") == 0);
  REQUIRE(
      test::eventually([&] { return test::queue_depth(amqp, "kemas.events.audit") == 0; }, 10s));

  CHECK(stored() == burst);
  const std::string log = worker.stderr_text();
  CHECK(log.find("audit group failed; storing its events one by one") != std::string::npos);
  // Fewer statements than events: they were stored in groups (each group is one INSERT).
  const auto inserts = meter.plans_like("INSERT INTO audit_log%").calls;
  MESSAGE("audit_log INSERT statements for ", burst + 1, " events: ", inserts);
  CHECK(inserts < burst / 2);
  const auto chain = pool.with_session(
      [](soci::session& sql) { return postgres::verify_audit_chain(sql); });
  CHECK(chain.rows == burst);
  CHECK_FALSE(chain.broken.has_value());

  worker.signal(SIGTERM);
  const auto status = worker.wait_for(10s);
  REQUIRE(status.has_value());
  CHECK(*status == 0);
}

TEST_CASE("kemas-worker --role audit stores events once and dead-letters malformed ones") {
  test::scratch_vhost vhost("audit");
  test::migrated_database db("audit_worker");
  const auto amqp = vhost.amqp_settings();
  test::child_process worker =
      test::start_worker("audit", db.settings().url, vhost.name(), "audit_store_test.worker");
  REQUIRE_MESSAGE(worker.wait_for_stderr("\"msg\":\"amqp consumer connected\"", 20s),
                  worker.stderr_text());

  amqp::amqp_publisher publisher(
      amqp, {"kemas audit test publisher", amqp::kemas_topology(amqp.delivery_limit)});
  auto publish = [&](const std::string& routing_key, const std::string& message_id,
                     const std::string& body) {
    amqp::outgoing_message m;
    m.exchange = "kemas.events";
    m.routing_key = routing_key;
    m.type = routing_key;
    m.message_id = message_id;
    m.body = body;
    const auto result = publisher.publish_sync(std::move(m));
    REQUIRE_MESSAGE(result.ok(), result.detail);
  };

  json::object change = sample_event("user.role_changed");
  change["data"] = json::object{{"before", {{"role", "user"}}}, {"after", {{"role", "admin"}}}};
  const std::string change_id(change["id"].as_string());
  json::object reset = sample_event("auth.password_reset_requested");
  const std::string token = support::random_hex(21);
  reset["data"] = json::object{{"email", "a@example.org"},
                               {"username", "alice"},
                               {"token", token},
                               {"expires_at", "2024-05-01T13:04:56.789Z"}};
  const std::string reset_id(reset["id"].as_string());
  json::object bad_ip = sample_event("auth.login");
  bad_ip["actor"] = json::object{{"user_id", nullptr}, {"ip", "999.1.1.1"}};
  const std::string bad_ip_id(bad_ip["id"].as_string());
  const std::string garbage_id = test::unique_id("garbage");

  publish("user.role_changed", change_id, json::serialize(change));
  publish("user.role_changed", change_id, json::serialize(change));  // delivered twice
  publish("auth.password_reset_requested", reset_id, json::serialize(reset));
  publish("auth.login", bad_ip_id, json::serialize(bad_ip));
  publish("auth.login", garbage_id, "{\"id\": ");

  postgres::pg_pool pool(db.settings(), "kemas-it-audit");
  const auto stored = [&] {
    return pool.with_session(
        [](soci::session& sql) { return count_of(sql, "SELECT count(*) FROM audit_log"); });
  };
  REQUIRE_MESSAGE(test::eventually([&] { return stored() >= 2; }, 20s), worker.stderr_text());

  const auto dead = test::take_matching(amqp, "kemas.dead-letters",
                                        test::message_id_in({bad_ip_id, garbage_id}), 2, 20s);
  REQUIRE_MESSAGE(dead.size() == 2, worker.stderr_text());
  for (const auto& d : dead) {
    CAPTURE(d.message_id);
    CHECK(header_text(d, "x-kemas-reason").find("malformed event") == 0);
    CHECK(header_text(d, "x-kemas-source-queue") == "kemas.events.audit");
  }
  // The duplicate has been settled too once the queue is empty.
  REQUIRE(
      test::eventually([&] { return test::queue_depth(amqp, "kemas.events.audit") == 0; }, 10s));
  REQUIRE(test::eventually(
      [&] { return worker.stderr_text().find("event already stored") != std::string::npos; }, 10s));

  CHECK(stored() == 2);
  const auto change_rows =
      pool.with_session([&](soci::session& sql) { return audit_rows(sql, change_id); });
  REQUIRE(change_rows.size() == 1);
  CHECK(json::parse(change_rows[0].before) == json::parse(R"({"role":"user"})"));
  CHECK(json::parse(change_rows[0].after) == json::parse(R"({"role":"admin"})"));
  const auto reset_rows =
      pool.with_session([&](soci::session& sql) { return audit_rows(sql, reset_id); });
  REQUIRE(reset_rows.size() == 1);
  CHECK(json::parse(reset_rows[0].after).at("token") == "[redacted]");
  CHECK(json::parse(reset_rows[0].after).at("email") == "a@example.org");
  CHECK(pool.with_session([&](soci::session& sql) {
    return count_of(sql,
                    "SELECT count(*) FROM audit_log WHERE concat(before::text, after::text, "
                    "request_id, target_id) LIKE '%" +
                        token + "%'");
  }) == 0);

  worker.signal(SIGTERM);
  const auto status = worker.wait_for(10s);
  REQUIRE(status.has_value());
  CHECK(*status == 0);
}
