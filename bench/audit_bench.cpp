// kemas_audit_bench: what grouping buys the audit role (issue 11, "Workers commit in groups").
//
// Every event a change emits (an upload, a delete, a login, each account a sweep expires) ends
// as one audit_log row written by `kemas-worker --role audit` (workers/audit_consumer.hpp).
// Each row links itself into the hash chain under one advisory lock, so the writers take
// turns: what a row costs is what the trail can absorb.
//
// One run: N events (20,000; --events) wait in kemas.events.audit of a vhost of the bench's
// own, published with confirms before the worker starts, as after a burst; then the real
// kemas-worker --role audit starts on a scratch database with worker.group_size = G, and the
// clock runs from its "amqp consumer connected" until audit_log holds all N rows. It prints
// events/s and audit_log INSERT statements per event (pg_stat_statements).
// Baseline in the same run: G = 1, one event per statement and transaction (what the role did
// before it grouped). The two alternate for --rounds rounds (2); the ratio is of the means.

#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>
#include <soci/soci.h>
#include <spdlog/sinks/null_sink.h>

#include "adapters/amqp/publisher.hpp"
#include "adapters/amqp/topology.hpp"
#include "adapters/log/logging.hpp"
#include "adapters/postgres/pool.hpp"
#include "adapters/support/random.hpp"
#include "bench/bench_common.hpp"
#include "test/support/amqp_fixture.hpp"
#include "test/support/child_process.hpp"
#include "test/support/outbox_fixture.hpp"
#include "test/support/pg_statements.hpp"
#include "test/support/relay_fixture.hpp"

namespace {

using namespace kemas::bench;
using namespace std::chrono_literals;
namespace json = boost::json;

constexpr auto store_deadline = std::chrono::minutes(10);
constexpr auto poll_interval = std::chrono::milliseconds(20);  // progress polling, not a wait

struct options {
  int events = 20'000;
  int rounds = 2;
  unsigned group_size = 64;
};

// A file.uploaded event as the worker's commit writes it (domain/events).
std::string uploaded_event() {
  const std::string file_id = kemas::support::random_uuid().to_string();
  json::object event{
      {"id", kemas::support::random_uuid().to_string()},
      {"type", "file.uploaded"},
      {"version", 1},
      {"occurred_at", "2026-12-07T11:00:00.000Z"},
      {"request_id", kemas::support::random_hex(16)},
      {"actor", {{"user_id", kemas::support::random_uuid().to_string()}, {"ip", "203.0.113.7"}}},
      {"subject", {{"type", "file"}, {"id", file_id}}},
      {"data",
       {{"after",
         {{"name", "report-" + kemas::support::random_hex(4) + ".pdf"},
          {"size_bytes", 4096},
          {"content_type", "application/pdf"},
          {"sha256", kemas::support::random_hex(32)}}}}},
  };
  return json::serialize(event);
}

// Publishes `count` events with confirms, many in flight at once.
void publish_events(const kemas::config::amqp_settings& amqp, int count) {
  kemas::amqp::amqp_publisher publisher(
      amqp, {"kemas audit bench publisher", kemas::amqp::kemas_topology(amqp.delivery_limit)});
  std::mutex mutex;
  std::condition_variable done;
  int confirmed = 0;
  int failed = 0;
  for (int i = 0; i < count; ++i) {
    kemas::amqp::outgoing_message m;
    m.exchange = "kemas.events";
    m.routing_key = m.type = "file.uploaded";
    m.message_id = kemas::support::random_uuid().to_string();
    m.body = uploaded_event();
    publisher.async_publish(std::move(m), [&](kemas::amqp::publish_result r) {
      std::lock_guard lock(mutex);
      ++confirmed;
      if (!r.ok())
        ++failed;
      done.notify_one();
    });
  }
  std::unique_lock lock(mutex);
  done.wait(lock, [&] { return confirmed == count; });
  if (failed > 0)
    throw std::runtime_error(std::to_string(failed) + " events were not confirmed");
}

long long stored_rows(kemas::postgres::pg_pool& db) {
  return db.with_session([](soci::session& s) {
    long long n = 0;
    s << "SELECT count(*) FROM audit_log", soci::into(n);
    return n;
  });
}

struct run_result {
  double seconds = 0;
  long long inserts = 0;  // audit_log INSERT statements
};

run_result run_once(const options& o, unsigned group_size, int round) {
  kemas::test::migrated_database database("audit_bench");
  kemas::test::scratch_vhost vhost("audit-bench");
  publish_events(vhost.amqp_settings(), o.events);
  kemas::test::pg_statement_meter meter(database.name(), database.settings());
  kemas::postgres::pg_pool db(database.settings(), "kemas audit bench");

  kemas::test::child_process worker = kemas::test::start_worker(
      "audit", database.settings().url, vhost.name(),
      "audit_bench.g" + std::to_string(group_size) + ".r" + std::to_string(round),
      {{"KEMAS_WORKER_GROUP_SIZE", std::to_string(group_size)}});
  if (!worker.wait_for_stderr("\"msg\":\"amqp consumer connected\"", 30s))
    throw std::runtime_error("kemas-worker did not connect:\n" + worker.stderr_text());
  const auto start = clock_type::now();
  while (stored_rows(db) < o.events) {
    if (clock_type::now() - start > store_deadline)
      throw std::runtime_error("audit_log did not reach the event count in time");
    std::this_thread::sleep_for(poll_interval);
  }
  run_result r;
  r.seconds = seconds_since(start);
  r.inserts = meter.plans_like("INSERT INTO audit_log%").calls;
  worker.signal(SIGTERM);
  worker.wait_for(30s);
  return r;
}

options parse(int argc, char** argv) {
  options o;
  read_options(argc, argv,
               "usage: kemas_audit_bench [--events N (20000)] [--rounds R (2)] "
               "[--group-size G (64)]",
               [&](const std::string& name, const std::string& value) {
                 if (name == "--events")
                   o.events = std::stoi(value);
                 else if (name == "--rounds")
                   o.rounds = std::stoi(value);
                 else if (name == "--group-size")
                   o.group_size = static_cast<unsigned>(std::stoul(value));
                 else
                   return false;
                 return true;
               });
  if (o.events < 1 || o.rounds < 1 || o.group_size < 1)
    throw std::invalid_argument("--events, --rounds and --group-size must be at least 1");
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  return exit_code_of("kemas_audit_bench", [&] {
    const options o = parse(argc, argv);
    // The fixtures' own lines (migrations, connections) would bury the table; the worker's
    // log goes to build/test/audit_bench.*.log.
    kemas::log::init_logging({}, "kemas-audit-bench", std::make_shared<spdlog::sinks::null_sink_mt>());
    print_machine_line("audit");
    std::printf("%d file.uploaded events waiting, then kemas-worker --role audit; %d rounds\n",
                o.events, o.rounds);
    double single_rate = 0, grouped_rate = 0;
    for (int round = 1; round <= o.rounds; ++round) {
      for (const unsigned g : {1u, o.group_size}) {
        const run_result r = run_once(o, g, round);
        const double rate = o.events / r.seconds;
        (g == 1 ? single_rate : grouped_rate) += rate / o.rounds;
        std::printf("round %d  group_size %-3u %7.2f s  %8.0f events/s  %.3f INSERTs per event\n",
                    round, g, r.seconds, rate, static_cast<double>(r.inserts) / o.events);
        std::fflush(stdout);
      }
    }
    std::printf("\ngrouped (group_size %u) vs one per transaction: %.2fx (mean %.0f vs %.0f "
                "events/s)\nload average at the end: %s\n",
                o.group_size, grouped_rate / single_rate, grouped_rate, single_rate,
                load_average().c_str());
    return 0;
  });
}
