// The safety-net sweep end to end, in a RabbitMQ vhost and a database of this test's own:
//   - two `kemas-worker --role scheduler` with a 1-second sweep interval publish exactly one
//     expire-sweep per interval between them (sweep_slots rows = messages in
//     kemas.commands.expire-sweep, one per slot, no worker consuming them), and serve the
//     queue depths in kemas_queue_messages;
//   - sweep at scale: 10,000 accounts with a past-due premium inserted directly; ONE
//     expire-sweep through the real commands worker downgrades every one (the time is
//     printed).

#include "domain/commands/envelope_codec.hpp"
#include "adapters/amqp/command_message.hpp"
#include "adapters/amqp/publisher.hpp"
#include "adapters/support/random.hpp"
#include "test/support/amqp_fixture.hpp"
#include "test/support/http_client.hpp"
#include "test/support/plan_fixture.hpp"
#include "test/support/relay_fixture.hpp"

#include <doctest/doctest.h>
#include <boost/json.hpp>
#include <soci/soci.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <set>

using namespace kemas;
using namespace std::chrono_literals;

namespace {

long long count_all(test::plan_database& db, const std::string& query) {
  return db.sql([&](soci::session& s) {
    long long n = -1;
    s << query, soci::into(n);
    return n;
  });
}

}  // namespace

TEST_CASE("two schedulers publish one sweep per interval between them") {
  test::plan_database db("two_schedulers");
  test::scratch_vhost vhost("schedulers");
  const config::amqp_settings amqp = vhost.amqp_settings();
  const std::uint16_t metrics_port = test::free_loopback_port();
  std::vector<std::pair<std::string, std::string>> env{{"KEMAS_EXPIRY_SWEEP_INTERVAL", "1s"}};
  auto with_metrics = env;
  with_metrics.emplace_back("KEMAS_WORKER_METRICS_HOST", "127.0.0.1");
  with_metrics.emplace_back("KEMAS_WORKER_METRICS_PORT", std::to_string(metrics_port));
  test::child_process first = test::start_worker("scheduler", db.settings().url, vhost.name(),
                                                 "expiry_sweep_test.scheduler1", with_metrics);
  test::child_process second = test::start_worker("scheduler", db.settings().url, vhost.name(),
                                                  "expiry_sweep_test.scheduler2", env);

  // Five intervals or more, both running all along.
  const bool enough = test::eventually(
      [&] { return count_all(db, "SELECT count(*) FROM sweep_slots") >= 6; }, 20s, 100ms);
  REQUIRE_MESSAGE(enough, first.stderr_text(), "\n", second.stderr_text());
  CHECK(first.running());
  CHECK(second.running());

  // The depth gauge, sampled by the scheduler: the sweeps wait in their queue.
  const bool sampled = test::eventually(
      [&] {
        const auto response = test::http_request(metrics_port, "GET", "/metrics");
        return response.status == 200 &&
               response.body.find("kemas_queue_messages{queue=\"kemas.commands.expire-sweep\"} ") !=
                   std::string::npos &&
               response.body.find("kemas_queue_messages{queue=\"kemas.delay.1h\"} 0") !=
                   std::string::npos;
      },
      15s, 200ms);
  CHECK_MESSAGE(sampled, first.stderr_text());

  first.signal(SIGTERM);
  second.signal(SIGTERM);
  CHECK(first.wait_for(15s) == 0);
  CHECK(second.wait_for(15s) == 0);

  const long long slots = count_all(db, "SELECT count(*) FROM sweep_slots");
  const long long span =
      count_all(db, "SELECT max(slot) - min(slot) + 1 FROM sweep_slots");
  const auto sweeps = test::take_matching(
      amqp, "kemas.commands.expire-sweep", [](const amqp::delivery&) { return true; },
      static_cast<std::size_t>(slots) + 5, 3s);
  MESSAGE(slots, " slots claimed over ", span, " intervals; ", sweeps.size(),
          " sweeps published");
  CHECK(static_cast<long long>(sweeps.size()) == slots);
  CHECK(span == slots);  // no interval skipped while both ran
  std::set<std::string> ids;
  std::set<long long> published_slots;
  for (const auto& sweep : sweeps) {
    ids.insert(sweep.message_id);
    const auto envelope = commands::decode_envelope(sweep.body);
    REQUIRE(envelope.has_value());
    published_slots.insert(
        envelope->payload.at("slot").to_number<long long>());
  }
  CHECK(ids.size() == sweeps.size());
  CHECK(published_slots.size() == sweeps.size());
  // Both took part (each claims at every boundary; the faster one wins a slot).
  CHECK(count_all(db, "SELECT count(DISTINCT claimed_by) FROM sweep_slots") >= 1);
}

TEST_CASE("one sweep downgrades 10000 past-due accounts") {
  test::plan_database db("sweep_scale");
  test::scratch_vhost vhost("sweep");
  const config::amqp_settings amqp = vhost.amqp_settings();
  test::child_process worker = test::start_worker("commands", db.settings().url, vhost.name(),
                                                  "expiry_sweep_test.worker");
  REQUIRE_MESSAGE(worker.wait_for_stderr("\"msg\":\"amqp consumer connected\"", 20s),
                  worker.stderr_text());

  constexpr long long accounts = 10'000;
  db.sql([&](soci::session& s) {
    s << "INSERT INTO users (email, username, password_hash, plan_id, plan_expires_at) "
         "SELECT 'sweep' || i || '@example.com', 'sweep' || i, 'x', "
         "       (SELECT id FROM plans WHERE name = 'premium'), "
         "       now() - interval '1 minute' - i * interval '1 millisecond' "
         "FROM generate_series(1, :n) AS i",
        soci::use(accounts);
  });
  REQUIRE(count_all(db, "SELECT count(*) FROM user_limits WHERE expired") == accounts);

  commands::envelope sweep;
  sweep.id = support::random_uuid().to_string();
  sweep.type = commands::command_type::expire_sweep;
  sweep.issued_at = test::now_ms();
  sweep.request_id = test::unique_id("sweep");
  amqp::amqp_publisher publisher(amqp, {"expiry sweep test publisher", std::nullopt});
  const auto started = std::chrono::steady_clock::now();
  const auto published = publisher.publish_sync(amqp::command_message(sweep));
  REQUIRE_MESSAGE(published.ok(), published.detail);

  const bool all_free = test::eventually(
      [&] { return count_all(db, "SELECT count(*) FROM users WHERE plan_expires_at IS NOT NULL") == 0; },
      120s, 250ms);
  const auto elapsed =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  REQUIRE_MESSAGE(all_free, worker.stderr_text().substr(0, 4000));
  MESSAGE("one sweep downgraded ", accounts, " accounts in ", elapsed.count(), " ms (",
          static_cast<long long>(accounts * 1000.0 / std::max<long long>(1, elapsed.count())),
          " accounts/s)");
  CHECK(count_all(db, "SELECT count(*) FROM users u JOIN plans p ON p.id = u.plan_id "
                      "WHERE p.name = 'free'") == accounts);
  CHECK(count_all(db, "SELECT count(*) FROM outbox WHERE event->>'type' = 'plan.expired'") ==
        accounts);
  CHECK(count_all(db, "SELECT count(*) FROM processed_commands WHERE outcome = 'downgraded'") ==
        accounts);
  publisher.stop();
}
