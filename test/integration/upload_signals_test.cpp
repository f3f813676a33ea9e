// Upload completion by notification across processes: two api instances and two workers on
// the same database and vhost. Whichever worker commits an upload, the api that holds the
// request hears it through LISTEN/NOTIFY (settle_listener) and answers 201 after exactly one
// read of the upload row, no polling. When the listener's connection is cut, requests fall
// back to polling until it is back, and still answer.
#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <soci/soci.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <thread>
#include <vector>

#include "adapters/postgres/pool.hpp"
#include "app/composition/api_application.hpp"
#include "app/composition/api_backends.hpp"
#include "domain/ports/settle_signals.hpp"
#include "test/support/api_fixture.hpp"
#include "test/support/child_process.hpp"
#include "test/support/eventually.hpp"
#include "test/support/pg_fixture.hpp"
#include "test/support/pg_statements.hpp"
#include "test/support/relay_fixture.hpp"
#include "test/support/upload_client.hpp"
#include "test/support/worker_fixture.hpp"

using namespace kemas::test;
using namespace std::chrono_literals;

namespace {

// The api's read of an upload with its file (upload_repository's find); the worker never
// runs it.
constexpr const char* upload_read =
    "SELECT%FROM uploads u LEFT JOIN files f%WHERE u.id = CAST($% AS uuid) AND u.owner_id%";

void lift_limits(kemas::config::settings& s) {
  s.ratelimit.general_limit = 1'000'000;
  s.ratelimit.apikey_limit = 1'000'000;
  // Long enough that an upload whose signal went unheard would stand out.
  s.upload.wait = 30s;
}

// A second commands worker on the fixture's vhost and database.
struct second_worker {
  second_worker(const worker_fixture& first, const kemas::config::postgres_settings& database)
      : process(start_worker("commands", database.url, first.vhost().name(),
                             "upload_signals.second_worker")) {
    if (!process.wait_for_stderr("\"msg\":\"amqp consumer connected\"", 20s))
      throw std::runtime_error("second worker did not connect:\n" + process.stderr_text());
  }
  child_process process;
};

}  // namespace

TEST_CASE("two apis and two workers: every upload is answered by the api that holds it") {
  worker_fixture worker("signals");
  api_fixture first(worker.api_tweak(lift_limits));
  worker.start(first.database().settings());
  second_worker other(worker, first.database().settings());
  api_fixture second(worker.api_tweak([&](kemas::config::settings& s) {
    lift_limits(s);
    s.postgres = first.database().settings();  // the same database as the first api
  }));
  const auto ana = sign_up(first, "ana");
  pg_statement_meter meter(first.database().name(), first.database().settings());
  const long long reads_before = meter.statements_like(upload_read);

  constexpr int clients = 4;
  constexpr int per_client = 10;
  std::atomic<int> committed{0};
  std::atomic<int> failures{0};
  const auto started = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      for (int i = 0; i < per_client; ++i) {
        const api_fixture& api = (c + i) % 2 == 0 ? first : second;
        const std::string name = "c" + std::to_string(c) + "-" + std::to_string(i) + ".txt";
        auto r = api.call("POST", "/api/v1/auth/files/upload?name=" + name,
                          random_bytes(100 + static_cast<std::size_t>(i), c * 100 + i),
                          ana.auth + "Content-Type: text/plain\r\n");
        if (r.status == 201)
          ++committed;
        else
          ++failures;
      }
    });
  }
  for (auto& t : threads)
    t.join();
  const auto took = std::chrono::steady_clock::now() - started;

  CHECK(failures.load() == 0);
  CHECK(committed.load() == clients * per_client);
  // One read per upload, after its signal: nobody polled, and nobody waited out the 30 s.
  CHECK(meter.statements_like(upload_read) - reads_before == clients * per_client);
  CHECK(took < 25s);
  auto list = parse(first.call("GET", "/api/v1/auth/files/list?limit=100", {}, ana.auth));
  CHECK(list.at("total").as_int64() == clients * per_client);
}

TEST_CASE("a listener whose connection is cut: requests poll meanwhile and it comes back") {
  worker_fixture worker("signals-cut");
  api_fixture api(worker.api_tweak(lift_limits));
  worker.start(api.database().settings());
  const auto ana = sign_up(api, "ana");
  auto upload = [&](const std::string& name) {
    return api.call("POST", "/api/v1/auth/files/upload?name=" + name, "bytes of " + name,
                    ana.auth + "Content-Type: text/plain\r\n");
  };
  REQUIRE(upload("before.txt").status == 201);

  // Cut every listener connection of this database (application_name names the role).
  pg_exec_admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" +
                api.database().name() + "' AND application_name = 'kemas-api listener'");
  const auto started = std::chrono::steady_clock::now();
  CHECK(upload("during.txt").status == 201);
  CHECK(std::chrono::steady_clock::now() - started < 10s);

  // Back on signals: the next upload reads its row once.
  pg_statement_meter meter(api.database().name(), api.database().settings());
  CHECK(eventually([&] {
    kemas::postgres::pg_pool probe(api.database().settings(), "kemas-test");
    long long listening = 0;
    probe.with_session([&](soci::session& sql) {
      sql << "SELECT count(*) FROM pg_stat_activity WHERE application_name = "
             "'kemas-api listener' AND datname = current_database() AND state = 'idle' "
             "AND query LIKE 'LISTEN%'",
          soci::into(listening);
    });
    probe.stop();
    // The new connection has LISTENed; live() turns true right after (it was set false when
    // the cut was noticed, before reconnecting, so it cannot be the old connection's).
    return listening == 1 && api.application().backends().settle_signals().live();
  }, 10s));
  const long long reads = meter.statements_like(upload_read);
  CHECK(upload("after.txt").status == 201);
  CHECK(meter.statements_like(upload_read) - reads == 1);
}
