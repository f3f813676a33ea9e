// The outbox relay of kemas-worker --role commands, end to end: events appended to the outbox
// of a scratch database are published to kemas.events (in a vhost of the test's own) with the
// right properties, stamped published_at, and stored in audit_log by kemas-worker --role audit
// exactly once, with the password-reset token redacted.
//
// What the tests prove about duplicates:
//  - one relay, and two relays racing over one backlog (FOR UPDATE SKIP LOCKED): a tap queue
//    bound to kemas.events sees every event id exactly once during the run — no duplicate
//    publication — and the relays' own counts add up to the number of events;
//  - a relay killed with SIGKILL mid-way: duplicates are allowed (rows confirmed by the broker
//    but not yet stamped are published again by the next relay); nothing is lost and
//    audit_log still holds exactly one row per event.

#include "adapters/postgres/outbox.hpp"
#include "adapters/postgres/outbox_reader.hpp"
#include "adapters/postgres/pool.hpp"
#include "adapters/support/random.hpp"
#include "test/support/amqp_fixture.hpp"
#include "test/support/outbox_fixture.hpp"
#include "test/support/relay_fixture.hpp"

#include <doctest/doctest.h>
#include <soci/soci.h>
#include <boost/json.hpp>

#include <csignal>
#include <map>
#include <regex>
#include <set>

using namespace kemas;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

struct appended {
  std::vector<std::string> ids;
  std::vector<std::string> tokens;  // of the auth.password_reset_requested events
};

// `count` events of a few kinds, in one transaction, in the order of their ids.
appended append_events(postgres::pg_pool& pool, std::size_t count) {
  return pool.with_session([count](soci::session& sql) {
    appended out;
    soci::transaction tx(sql);
    for (std::size_t i = 0; i < count; ++i) {
      model::event_draft draft;
      draft.request_id = test::unique_id("req");
      draft.actor_user = support::random_uuid();
      draft.actor_ip = "198.51.100." + std::to_string(i % 250);
      draft.subject_type = "user";
      draft.subject_id = draft.actor_user->to_string();
      switch (i % 4) {
        case 0:
          draft.type = "auth.login";
          draft.data = {{"method", "password"}};
          break;
        case 1:
          draft.type = "user.registered";
          draft.data = {{"email", "u" + std::to_string(i) + "@example.org"}};
          break;
        case 2: {
          draft.type = "auth.password_reset_requested";
          const std::string token = support::random_hex(21);
          out.tokens.push_back(token);
          draft.data = {{"email", "u@example.org"},
                        {"username", "u"},
                        {"token", token},
                        {"expires_at", "2030-01-01T00:00:00.000Z"}};
          break;
        }
        default:
          draft.type = "apikey.created";
          draft.subject_type = "api_key";
          draft.subject_id = support::random_uuid().to_string();
          draft.data = {{"name", "ci"}, {"prefix", support::random_hex(6)}};
          break;
      }
      out.ids.push_back(postgres::append_event(sql, draft).to_string());
    }
    tx.commit();
    return out;
  });
}

long long scalar(postgres::pg_pool& pool, std::string query) {
  return pool.with_session([query = std::move(query)](soci::session& sql) {
    long long n = 0;
    sql << query, soci::into(n);
    return n;
  });
}

long long unpublished(postgres::pg_pool& pool) {
  return pool.with_session([](soci::session& sql) { return postgres::count_unpublished(sql); });
}

// Rows of audit_log, and how many distinct outbox events they cover.
long long audit_rows(postgres::pg_pool& pool) {
  return scalar(pool, "SELECT count(*) FROM audit_log");
}
long long audited_events(postgres::pg_pool& pool) {
  return scalar(pool,
                "SELECT count(DISTINCT a.event_id) FROM audit_log a "
                "JOIN outbox o ON a.event_id = CAST(o.event->>'id' AS uuid)");
}

void check_tokens_redacted(postgres::pg_pool& pool, const std::vector<std::string>& tokens) {
  CHECK(scalar(pool,
               "SELECT count(*) FROM audit_log WHERE action = 'auth.password_reset_requested' "
               "AND after->>'token' = '[redacted]'") == static_cast<long long>(tokens.size()));
  for (const auto& token : tokens) {
    CHECK(scalar(pool,
                 "SELECT count(*) FROM audit_log WHERE concat(before::text, after::text) "
                 "LIKE '%" +
                     token + "%'") == 0);
  }
}

// The "published" count of a relay's "outbox relay stopped" log line.
long long relay_published(const std::string& log) {
  static const std::regex line(R"("msg":"outbox relay stopped".*"published":([0-9]+))");
  std::smatch match;
  return std::regex_search(log, match, line) ? std::stoll(match[1]) : -1;
}

void stop_cleanly(test::child_process& worker) {
  worker.signal(SIGTERM);
  const auto status = worker.wait_for(15s);
  REQUIRE_MESSAGE(status.has_value(), "worker did not exit after SIGTERM");
  CHECK(*status == 0);
}

bool all_published_and_audited(postgres::pg_pool& pool, std::size_t total) {
  return unpublished(pool) == 0 && audited_events(pool) == static_cast<long long>(total);
}

// A broker vhost with the events tapped, a migrated database and a pool on it.
struct relay_env {
  test::scratch_vhost vhost;
  test::migrated_database db;
  config::amqp_settings amqp;
  postgres::pg_pool pool;

  relay_env(const std::string& vhost_name, const std::string& database_name)
      : vhost(vhost_name),
        db(database_name),
        amqp(vhost.amqp_settings()),
        pool(db.settings(), "kemas-it-relay") {
    vhost.tap_events("relay-test.tap");
  }
};

}  // namespace

TEST_CASE("the relay publishes every outbox event and audit stores each exactly once") {
  relay_env env("relay", "relay_one");
  const appended events = append_events(env.pool, 250);  // 2 full batches and a short one
  const std::set<std::string> ids(events.ids.begin(), events.ids.end());

  test::child_process audit = test::start_worker("audit", env.db.settings().url, env.vhost.name(),
                                                 "outbox_relay_test.audit");
  test::child_process relay = test::start_worker("commands", env.db.settings().url,
                                                 env.vhost.name(), "outbox_relay_test.commands");
  REQUIRE_MESSAGE(test::eventually([&] { return all_published_and_audited(env.pool, 250); }, 60s),
                  "unpublished ", unpublished(env.pool), ", audited ", audited_events(env.pool),
                  "\n", relay.stderr_text(), audit.stderr_text());
  CHECK(audit_rows(env.pool) == 250);
  check_tokens_redacted(env.pool, events.tokens);

  // What went over the wire: each event once, with the properties of the contract.
  const auto seen = test::take_matching(
      env.amqp, "relay-test.tap",
      [&](const amqp::delivery& d) { return ids.count(d.message_id) == 1; }, 250, 20s);
  REQUIRE(seen.size() == 250);
  std::set<std::string> distinct;
  for (const auto& d : seen) {
    distinct.insert(d.message_id);
    const json::object event = json::parse(d.body).as_object();
    CHECK(d.exchange == "kemas.events");
    CHECK(d.routing_key == event.at("type").as_string());
    CHECK(d.type == event.at("type").as_string());
    CHECK(d.message_id == event.at("id").as_string());
    CHECK(d.correlation_id == event.at("request_id").as_string());
    CHECK(d.content_type == "application/json");
  }
  CHECK(distinct.size() == 250);
  CHECK(test::queue_depth(env.amqp, "relay-test.tap") == 0);  // no second copy of any

  // An event committed while the relay idles goes out within a few poll intervals.
  const auto started = std::chrono::steady_clock::now();
  const appended late = append_events(env.pool, 1);
  REQUIRE(test::eventually([&] { return all_published_and_audited(env.pool, 251); }, 10s));
  MESSAGE("idle relay: event published and audited after ",
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                started)
              .count(),
          " ms");

  stop_cleanly(relay);
  stop_cleanly(audit);
  CHECK(relay_published(relay.stderr_text()) == 251);
}

TEST_CASE("two relays racing over one backlog publish each event once") {
  relay_env env("relay2", "relay_two");

  test::child_process audit = test::start_worker("audit", env.db.settings().url, env.vhost.name(),
                                                 "outbox_relay_test.two.audit");
  test::child_process first = test::start_worker("commands", env.db.settings().url,
                                                 env.vhost.name(), "outbox_relay_test.two.first");
  test::child_process second = test::start_worker("commands", env.db.settings().url,
                                                  env.vhost.name(), "outbox_relay_test.two.second");
  // Both relays polling before the backlog lands, so that they race for it.
  for (auto* relay : {&first, &second}) {
    REQUIRE_MESSAGE(relay->wait_for_stderr("\"connection\":\"kemas-worker relay pid", 20s),
                    relay->stderr_text());
  }
  appended events = append_events(env.pool, 2000);
  // More events while both run.
  for (int i = 0; i < 4; ++i) {
    appended more = append_events(env.pool, 50);
    events.ids.insert(events.ids.end(), more.ids.begin(), more.ids.end());
    events.tokens.insert(events.tokens.end(), more.tokens.begin(), more.tokens.end());
    std::this_thread::sleep_for(100ms);  // spread over several polls, not a wait for a result
  }
  const std::size_t total = events.ids.size();
  REQUIRE_MESSAGE(test::eventually([&] { return all_published_and_audited(env.pool, total); }, 90s),
                  "unpublished ", unpublished(env.pool), ", audited ", audited_events(env.pool));
  CHECK(audit_rows(env.pool) == static_cast<long long>(total));
  check_tokens_redacted(env.pool, events.tokens);

  const std::set<std::string> ids(events.ids.begin(), events.ids.end());
  const auto seen = test::take_matching(
      env.amqp, "relay-test.tap",
      [&](const amqp::delivery& d) { return ids.count(d.message_id) == 1; }, total, 30s);
  std::map<std::string, int> copies;
  for (const auto& d : seen)
    ++copies[d.message_id];
  CHECK(copies.size() == total);
  CHECK(seen.size() == total);
  CHECK(test::queue_depth(env.amqp, "relay-test.tap") == 0);  // no message id arrived twice

  stop_cleanly(first);
  stop_cleanly(second);
  stop_cleanly(audit);
  const long long by_first = relay_published(first.stderr_text());
  const long long by_second = relay_published(second.stderr_text());
  MESSAGE("relay 1 published ", by_first, ", relay 2 published ", by_second);
  // Which relay wins which batch is up to the scheduler: both normally take part, but a
  // starved one is no error (the proof above is the absence of duplicates).
  WARN(by_first > 0);
  WARN(by_second > 0);
  CHECK(by_first + by_second == static_cast<long long>(total));
}

TEST_CASE("a relay killed mid-way loses nothing and audit stays exactly once") {
  relay_env env("relay-kill", "relay_kill");
  const appended events = append_events(env.pool, 3000);
  const std::size_t total = events.ids.size();

  test::child_process audit = test::start_worker("audit", env.db.settings().url, env.vhost.name(),
                                                 "outbox_relay_test.kill.audit");
  {
    test::child_process doomed = test::start_worker(
        "commands", env.db.settings().url, env.vhost.name(), "outbox_relay_test.kill.doomed");
    REQUIRE(test::eventually([&] { return unpublished(env.pool) < static_cast<long long>(total); },
                             30s));
    doomed.signal(SIGKILL);
    doomed.wait_for(5s);
  }
  const long long left = unpublished(env.pool);
  MESSAGE("killed the relay with ", left, " of ", total, " events unpublished");
  CHECK(left > 0);  // otherwise the test did not kill it mid-way (a very fast machine)

  test::child_process successor = test::start_worker(
      "commands", env.db.settings().url, env.vhost.name(), "outbox_relay_test.kill.successor");
  REQUIRE_MESSAGE(test::eventually([&] { return all_published_and_audited(env.pool, total); }, 90s),
                  "unpublished ", unpublished(env.pool), ", audited ", audited_events(env.pool));
  CHECK(audit_rows(env.pool) == static_cast<long long>(total));
  check_tokens_redacted(env.pool, events.tokens);

  // Duplicates are allowed here; every event went out at least once.
  const std::set<std::string> ids(events.ids.begin(), events.ids.end());
  std::map<std::string, int> copies;
  const auto seen = test::take_matching(
      env.amqp, "relay-test.tap",
      [&](const amqp::delivery& d) { return ids.count(d.message_id) == 1; }, total * 2, 5s);
  for (const auto& d : seen)
    ++copies[d.message_id];
  CHECK(copies.size() == total);
  const std::size_t duplicates = seen.size() - copies.size();
  MESSAGE(duplicates, " event(s) published twice around the kill");

  stop_cleanly(successor);
  stop_cleanly(audit);
}
