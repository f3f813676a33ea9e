// pg_pool against the real PostgreSQL of scripts/services.sh: results come back to the
// awaiting coroutines, calls run in parallel up to pool_size, exceptions propagate with a
// usable classification, ping tells up from down, and the pool reconnects after the server
// kills its connections.
#include "adapters/postgres/conninfo.hpp"
#include "adapters/postgres/errors.hpp"
#include "adapters/postgres/pool.hpp"
#include "test/support/eventually.hpp"
#include "test/support/pg_fixture.hpp"

#include <doctest/doctest.h>
#include <soci/soci.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <set>
#include <stdexcept>
#include <thread>

namespace {

namespace pg = kemas::postgres;
using namespace std::chrono_literals;
using boost::asio::awaitable;

awaitable<int> doubled(pg::pg_pool& pool, int value) {
  co_return co_await pool.run([value](soci::session& sql) {
    int result = 0;
    sql << "SELECT :v * 2", soci::use(value), soci::into(result);
    return result;
  });
}

struct concurrency_probe {
  std::atomic<int> now{0};
  std::atomic<int> peak{0};
};

awaitable<int> sleeper(pg::pg_pool& pool, concurrency_probe& probe) {
  co_return co_await pool.run([&probe](soci::session& sql) {
    const int running = ++probe.now;
    int peak = probe.peak.load();
    while (running > peak && !probe.peak.compare_exchange_weak(peak, running)) {
    }
    sql << "SELECT pg_sleep(0.3)";
    --probe.now;
    return 1;
  });
}

awaitable<std::string> failing_sql(pg::pg_pool& pool) {
  co_await pool.run([](soci::session& sql) { sql << "SELECT * FROM it_no_such_table"; });
  co_return "no exception";
}

awaitable<std::string> throwing_lambda(pg::pg_pool& pool) {
  co_await pool.run([](soci::session&) -> int { throw std::out_of_range("from inside run"); });
  co_return "no exception";
}

awaitable<std::string> unique_violation(pg::pg_pool& pool) {
  co_await pool.run([](soci::session& sql) {
    soci::transaction tx(sql);
    sql << "CREATE TEMP TABLE it_unique (k int CONSTRAINT it_unique_k PRIMARY KEY) ON COMMIT DROP";
    sql << "INSERT INTO it_unique VALUES (1)";
    sql << "INSERT INTO it_unique VALUES (1)";
    tx.commit();
  });
  co_return "no exception";
}

awaitable<bool> ping(pg::pg_pool& pool) {
  co_return co_await pool.ping();
}

awaitable<int> backend_pid(pg::pg_pool& pool) {
  co_return co_await pool.run([](soci::session& sql) {
    int pid = 0;
    sql << "SELECT pg_backend_pid()", soci::into(pid);
    return pid;
  });
}

awaitable<int> slow_backend_pid(pg::pg_pool& pool) {
  co_return co_await pool.run([](soci::session& sql) {
    int pid = 0;
    sql << "SELECT pg_backend_pid() FROM pg_sleep(0.2)", soci::into(pid);
    return pid;
  });
}

}  // namespace

TEST_CASE("run returns each coroutine's own result") {
  kemas::test::io_threads io(2);
  auto settings = kemas::test::pg_settings_from_env();
  settings.pool_size = 3;
  pg::pg_pool pool(settings, "kemas-it-pool");
  // All 200 are in flight at once, from coroutines on both I/O threads.
  std::vector<std::future<int>> results;
  for (int i = 0; i < 200; ++i) {
    results.push_back(
        boost::asio::co_spawn(io.context(), doubled(pool, i), boost::asio::use_future));
  }
  for (int i = 0; i < 200; ++i)
    CHECK(results[static_cast<std::size_t>(i)].get() == 2 * i);
}

TEST_CASE("calls run in parallel up to pool_size / not beyond") {
  kemas::test::io_threads io(2);
  auto settings = kemas::test::pg_settings_from_env();
  settings.pool_size = 3;
  pg::pg_pool pool(settings, "kemas-it-pool");
  io.run(doubled(pool, 1));  // connect one session outside the measurement
  concurrency_probe probe;
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::future<int>> calls;
  for (int i = 0; i < 6; ++i) {
    calls.push_back(
        boost::asio::co_spawn(io.context(), sleeper(pool, probe), boost::asio::use_future));
  }
  for (auto& c : calls)
    CHECK(c.get() == 1);
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK(probe.peak.load() == 3);
  CHECK(took >= 550ms);  // 6 calls of 0.3 s on 3 sessions: two rounds
  CHECK(took < 1500ms);  // ... not six
}

TEST_CASE("exceptions from the call reach the awaiting coroutine") {
  kemas::test::io_threads io(2);
  pg::pg_pool pool(kemas::test::pg_settings_from_env(), "kemas-it-pool");

  SUBCASE("SQL error") {
    try {
      io.run(failing_sql(pool));
      FAIL("no exception");
    } catch (const soci::soci_error& e) {
      CHECK(pg::sqlstate(e) == "42P01");
      CHECK(pg::classify(e) == pg::pg_error_kind::other);
    }
  }
  SUBCASE("the lambda's own exception, same type") {
    CHECK_THROWS_AS(io.run(throwing_lambda(pool)), std::out_of_range);
  }
  SUBCASE("unique violation is classified with its constraint") {
    try {
      io.run(unique_violation(pool));
      FAIL("no exception");
    } catch (const std::exception& e) {
      CHECK(pg::classify(e) == pg::pg_error_kind::unique_violation);
      CHECK(pg::constraint_name(e) == "it_unique_k");
      CHECK_FALSE(pg::is_transient(pg::classify(e)));
    }
  }
  // After any of these the sessions are clean: no transaction left open.
  CHECK(io.run(doubled(pool, 21)) == 42);
  CHECK(pool.with_session([](soci::session& sql) {
    int n = 0;
    sql << "SELECT 20 + 1", soci::into(n);
    return n;
  }) == 21);
}

TEST_CASE("ping tells a reachable server from an unreachable one") {
  kemas::test::io_threads io(2);
  pg::pg_pool pool(kemas::test::pg_settings_from_env(), "kemas-it-pool");
  CHECK(io.run(ping(pool)));

  auto settings = kemas::test::pg_settings_from_env();
  settings.url = "postgresql://kemas@127.0.0.1:1/kemas";  // nothing listens on port 1
  pg::pg_pool down(settings, "kemas-it-pool");
  CHECK_FALSE(io.run(ping(down)));
  try {
    io.run(doubled(down, 1));
    FAIL("no exception");
  } catch (const std::exception& e) {
    CHECK(pg::classify(e) == pg::pg_error_kind::connection);
    CHECK(pg::is_transient(pg::classify(e)));
    CHECK(std::string(e.what()).find("127.0.0.1:1") != std::string::npos);
  }
}

TEST_CASE("the pool reconnects after the server kills its connections") {
  kemas::test::io_threads io(2);
  auto settings = kemas::test::pg_settings_from_env();
  settings.pool_size = 2;
  // A name of its own, so the kill below touches only this test's connections, not those of
  // anything else using the shared server.
  const std::string app_name = "kemas-it-reconnect-" + std::to_string(::getpid());
  pg::pg_pool pool(settings, app_name);
  // Both sessions busy at once, so both connections are open.
  auto first = boost::asio::co_spawn(io.context(), slow_backend_pid(pool), boost::asio::use_future);
  auto second =
      boost::asio::co_spawn(io.context(), slow_backend_pid(pool), boost::asio::use_future);
  const std::set<int> old_pids{first.get(), second.get()};
  REQUIRE(old_pids.size() == 2);

  int killed = 0;
  {
    auto admin = kemas::test::pg_settings_from_env();
    admin.pool_size = 1;
    pg::pg_pool killer(admin, "kemas-it-killer");
    killed = killer.with_session([&](soci::session& sql) {
      int n = 0;
      sql << "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
             "WHERE usename = current_user AND pid <> pg_backend_pid() AND application_name = :a",
          soci::use(app_name), soci::into(n);
      return n;
    });
  }
  CHECK(killed == 2);

  // Every following call must succeed within the deadline; at most one failure per session
  // is allowed (one whose connection broke mid-way), and it must say "connection".
  int failures = 0;
  int successes = 0;
  std::set<int> new_pids;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (successes < 10 && std::chrono::steady_clock::now() < deadline) {
    try {
      new_pids.insert(io.run(backend_pid(pool)));
      ++successes;
    } catch (const std::exception& e) {
      CAPTURE(e.what());
      CHECK(pg::classify(e) == pg::pg_error_kind::connection);
      ++failures;
    }
  }
  CHECK(successes == 10);
  CHECK(failures <= 2);
  for (int pid : new_pids)
    CHECK_FALSE(old_pids.contains(pid));
  CHECK(io.run(ping(pool)));
  MESSAGE("calls failed after the kill: " << failures);
}

namespace {

awaitable<int> long_sleep(pg::pg_pool& pool) {
  co_return co_await pool.run([](soci::session& sql) {
    sql << "SELECT pg_sleep(5)";
    return 1;
  });
}

int count_active(const std::string& app_name, const std::string& state) {
  auto admin = kemas::test::pg_settings_from_env();
  admin.pool_size = 1;
  pg::pg_pool observer(admin, "kemas-it-observer");
  return observer.with_session([&](soci::session& sql) {
    int n = 0;
    sql << "SELECT count(*) FROM pg_stat_activity WHERE application_name = :a AND state = :s",
        soci::use(app_name), soci::use(state), soci::into(n);
    return n;
  });
}

}  // namespace

TEST_CASE("a call whose connection is killed mid-way fails as connection / the next succeeds") {
  kemas::test::io_threads io(2);
  auto settings = kemas::test::pg_settings_from_env();
  settings.pool_size = 1;
  const std::string app_name = "kemas-it-midcall-" + std::to_string(::getpid());
  pg::pg_pool pool(settings, app_name);
  auto call = boost::asio::co_spawn(io.context(), long_sleep(pool), boost::asio::use_future);

  REQUIRE(kemas::test::eventually([&] { return count_active(app_name, "active") > 0; }));
  kemas::test::pg_exec_admin(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '" +
      app_name + "'");
  try {
    call.get();
    FAIL("the killed call succeeded");
  } catch (const std::exception& e) {
    CAPTURE(e.what());
    CHECK(pg::classify(e) == pg::pg_error_kind::connection);
  }
  CHECK(io.run(doubled(pool, 5)) == 10);
}

TEST_CASE("statement_timeout from the settings applies to every connection") {
  kemas::test::io_threads io(2);
  auto settings = kemas::test::pg_settings_from_env();
  settings.statement_timeout = 200ms;
  pg::pg_pool pool(settings, "kemas-it-pool");
  try {
    io.run(long_sleep(pool));
    FAIL("no timeout");
  } catch (const std::exception& e) {
    CHECK(pg::classify(e) == pg::pg_error_kind::timeout);
    CHECK(pg::is_transient(pg::classify(e)));
  }
  CHECK(io.run(doubled(pool, 4)) == 8);
}

TEST_CASE("connection strings carry the URL / the password and the timeout") {
  kemas::config::postgres_settings settings;
  settings.url = "postgresql://kemas@db.example:6543/kemas?sslmode=require";
  settings.password = "pa ss'w\\rd";
  settings.connect_timeout = 2500ms;
  const auto conninfo = pg::build_conninfo(settings, "kemas-api");
  CHECK(conninfo.find("host=db.example") != std::string::npos);
  CHECK(conninfo.find("port=6543") != std::string::npos);
  CHECK(conninfo.find("dbname=kemas") != std::string::npos);
  CHECK(conninfo.find("sslmode=require") != std::string::npos);
  CHECK(conninfo.find("connect_timeout=3") != std::string::npos);
  CHECK(conninfo.find("application_name=kemas-api") != std::string::npos);
  // Escaped for libpq (backslashes) and wrapped in double quotes for SOCI's tokenizer.
  CHECK(conninfo.find(R"(password="pa\ ss\'w\\rd")") != std::string::npos);
  CHECK(pg::describe_target(settings) == "kemas@db.example:6543/kemas");
  CHECK(pg::describe_target(settings).find("pa ss") == std::string::npos);

  CHECK(pg::build_conninfo_for_database(settings, "other").find("dbname=other") !=
        std::string::npos);
  settings.url = "postgresql://[broken";
  CHECK_THROWS_AS(pg::build_conninfo(settings), std::invalid_argument);
  settings.url = "host=localhost dbname=kemas";
  settings.password = "a \"b";
  CHECK_THROWS_AS(pg::build_conninfo(settings), std::invalid_argument);
}
