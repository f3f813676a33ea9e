// kemas_sweep_bench: what one expire-sweep costs at scale (issue 5 "Sweep at scale").
//
// A scratch database gets N accounts (100,000; KEMAS_BENCH_ACCOUNTS overrides) whose premium
// ran out a minute ago, inserted by one INSERT ... SELECT generate_series. The commands role
// runs in-process exactly as `kemas-worker --role commands` does (worker::start_role: the
// consumer, dispatcher, handler threads, the scheduling publisher and the outbox relay), on
// a RabbitMQ vhost of the bench's own. One `expire-sweep` is published, and the clock runs:
//   1. sweep done: the sweep handler paged through the due accounts and applied each page
//      of `expire` commands as one group transaction (its processed_commands row appears
//      when it is done);
//   2. all downgraded: no account has a plan_expires_at any more; each one under its own
//      `expire` id (row lock, plan -> free, plan_locks over its files, plan.expired in the
//      outbox, processed_commands), a page per transaction;
//   3. every event relayed: the outbox relay has published every plan.expired to the broker.
// Baseline in the same run: the same N rows put back to past-due premium and downgraded by
// ONE set-based UPDATE — the floor with no queue, no per-account transaction, no event.
// Prints times, accounts/s and the ratio of (2) to the baseline. See bench/README.md.

#include <spdlog/sinks/null_sink.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

#include <soci/soci.h>

#include "adapters/amqp/command_message.hpp"
#include "adapters/amqp/publisher.hpp"
#include "adapters/log/logging.hpp"
#include "adapters/postgres/pool.hpp"
#include "adapters/support/random.hpp"
#include "bench/bench_common.hpp"
#include "domain/commands/envelope_codec.hpp"
#include "test/support/amqp_fixture.hpp"
#include "test/support/outbox_fixture.hpp"
#include "test/support/relay_fixture.hpp"
#include "test/support/test_settings.hpp"
#include "workers/roles.hpp"

namespace {

using namespace kemas::bench;
using namespace std::chrono_literals;

constexpr long long default_accounts = 100'000;
constexpr auto deadline = std::chrono::minutes(30);
constexpr auto poll_interval = std::chrono::milliseconds(200);  // progress polling, not a wait

long long scalar(kemas::postgres::pg_pool& db, const std::string& query) {
  return db.with_session([&](soci::session& s) {
    long long n = -1;
    s << query, soci::into(n);
    return n;
  });
}

void make_past_due(kemas::postgres::pg_pool& db, long long accounts) {
  db.with_session([&](soci::session& s) {
    s << "INSERT INTO users (email, username, password_hash, plan_id, plan_expires_at) "
         "SELECT 'bench' || i || '@example.com', 'bench' || i, 'x', "
         "       (SELECT id FROM plans WHERE name = 'premium'), "
         "       now() - interval '1 minute' - i * interval '1 millisecond' "
         "FROM generate_series(1, :n) AS i",
        soci::use(accounts);
  });
}

int run() {
  long long accounts = default_accounts;
  if (const char* n = std::getenv("KEMAS_BENCH_ACCOUNTS"))
    accounts = std::max(1LL, std::atoll(n));
  const bool show_log = std::getenv("KEMAS_BENCH_LOG") != nullptr;
  kemas::log::init_logging({}, "kemas-worker",
                           show_log ? nullptr : std::make_shared<spdlog::sinks::null_sink_mt>());

  kemas::test::migrated_database database("sweep_bench");
  kemas::test::scratch_vhost vhost("sweep-bench");
  kemas::config::settings settings = kemas::test::test_settings();
  settings.postgres.url = database.settings().url;
  settings.amqp = vhost.amqp_settings();
  settings.worker.metrics_port = 0;
  kemas::postgres::pg_pool db(database.settings(), "kemas-sweep-bench");

  print_machine_line("sweep");
  std::printf(
      "%lld past-due accounts; worker.handler_threads=%u, postgres.pool_size=%u, "
      "amqp.prefetch=%u\n\n",
      accounts, settings.worker.handler_threads, settings.postgres.pool_size,
      settings.amqp.prefetch);

  auto started = clock_type::now();
  make_past_due(db, accounts);
  std::printf("%-34s %9.2f s\n", "insert (one INSERT ... SELECT)", seconds_since(started));

  auto role = kemas::worker::start_role(kemas::worker::role::commands, settings);
  kemas::commands::envelope sweep;
  sweep.id = kemas::support::random_uuid().to_string();
  sweep.type = kemas::commands::command_type::expire_sweep;
  sweep.issued_at =
      std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  sweep.request_id = "sweep-bench";
  // Declares the topology itself: the role's consumer may not have connected yet.
  kemas::amqp::amqp_publisher publisher(
      settings.amqp,
      {"kemas sweep bench", kemas::amqp::kemas_topology(settings.amqp.delivery_limit)});

  started = clock_type::now();
  const auto published = publisher.publish_sync(kemas::amqp::command_message(sweep));
  if (!published.ok())
    throw std::runtime_error("publishing the sweep failed: " + published.detail);
  const std::string sweep_done =
      "SELECT count(*) FROM processed_commands WHERE command_id = '" + sweep.id + "'";
  double sweep_seconds = 0;
  long long left = accounts;
  while (left > 0 && clock_type::now() - started < deadline) {
    std::this_thread::sleep_for(poll_interval);
    if (sweep_seconds == 0 && scalar(db, sweep_done) == 1)
      sweep_seconds = seconds_since(started);
    left = scalar(db, "SELECT count(*) FROM users WHERE plan_expires_at IS NOT NULL");
  }
  const double sweep_total = seconds_since(started);
  // The outbox relay publishes the plan.expired events behind the downgrades: how long the
  // broker takes to have all of them.
  long long unrelayed = 1;
  while (left == 0 && unrelayed > 0 && clock_type::now() - started < deadline) {
    unrelayed = scalar(db, "SELECT count(*) FROM outbox WHERE published_at IS NULL");
    if (unrelayed > 0)
      std::this_thread::sleep_for(poll_interval);
  }
  const double relayed_total = seconds_since(started);
  role->stop(10s);
  publisher.stop();
  if (left > 0) {
    std::printf("NOT DONE: %lld accounts still premium after %.0f s\n", left, sweep_total);
    return 1;
  }
  const long long events =
      scalar(db, "SELECT count(*) FROM outbox WHERE event->>'type' = 'plan.expired'");

  // Baseline: the same rows, past due again, downgraded by one statement.
  db.with_session([](soci::session& s) {
    s << "UPDATE users SET plan_id = (SELECT id FROM plans WHERE name = 'premium'), "
         "plan_expires_at = now() - interval '1 minute'";
  });
  started = clock_type::now();
  db.with_session([](soci::session& s) {
    s << "UPDATE users SET plan_id = (SELECT id FROM plans WHERE name = 'free'), "
         "plan_expires_at = NULL WHERE plan_expires_at <= now()";
  });
  const double bulk_seconds = seconds_since(started);

  std::printf("%-34s %9.2f s  %9.0f accounts/s\n", "sweep done (recorded)", sweep_seconds,
              static_cast<double>(accounts) / std::max(1e-9, sweep_seconds));
  std::printf("%-34s %9.2f s  %9.0f accounts/s  (%lld plan.expired events)\n",
              "all downgraded (one sweep)", sweep_total,
              static_cast<double>(accounts) / sweep_total, events);
  std::printf("%-34s %9.2f s  %9.0f events/s\n", "every event relayed to the broker",
              relayed_total, static_cast<double>(events) / std::max(1e-9, relayed_total));
  std::printf("%-34s %9.2f s  %9.0f accounts/s\n", "baseline: one set-based UPDATE", bulk_seconds,
              static_cast<double>(accounts) / std::max(1e-9, bulk_seconds));
  std::printf("\nload average at the end: %s\n", load_average().c_str());
  std::printf(
      "one sweep downgrades %lld accounts in %.1f s (%.0f accounts/s) = %.1fx the bare "
      "UPDATE; the page transactions keep idempotency, file locks and an event each\n",
      accounts, sweep_total, static_cast<double>(accounts) / sweep_total,
      sweep_total / std::max(1e-9, bulk_seconds));
  return events == accounts ? 0 : 1;
}

}  // namespace

int main() {
  return kemas::bench::exit_code_of("kemas_sweep_bench", run);
}
