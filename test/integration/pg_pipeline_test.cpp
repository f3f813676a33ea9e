// pg_pipeline against the real PostgreSQL of scripts/services.sh: many statements in flight on
// one connection each get their own answer, a failing one fails alone with its SQLSTATE, a
// connection the server killed fails what was in flight as a connection error and the next
// statement connects again (prepared anew), and an unreachable server is a connection error
// at once, without a queue; a write sent alone (its own sync point) survives a failing
// neighbour.
#include "adapters/postgres/errors.hpp"
#include "adapters/postgres/pipeline.hpp"
#include "adapters/postgres/prepared.hpp"
#include "test/support/io_threads.hpp"
#include "test/support/pg_fixture.hpp"

#include <doctest/doctest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>

#include <unistd.h>

#include <chrono>
#include <future>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace pg = kemas::postgres;

const pg::prepared_statement echo{
    "kemas_it_pipeline_echo",
    "SELECT $1::text IS NULL, coalesce($1::text, ''), $2::bigint * 2, pg_backend_pid()"};

struct echoed {
  bool was_null = false;
  std::string text;
  long long doubled = 0;
  long long backend = 0;
};

asio::awaitable<echoed> run_echo(pg::pg_pipeline& pipeline, std::optional<std::string> text,
                                 std::string number) {
  std::vector<std::optional<std::string>> parameters{std::move(text), std::move(number)};
  const auto rows = co_await pipeline.execute(echo, std::move(parameters));
  if (rows.size() != 1)
    throw std::runtime_error("echo answered " + std::to_string(rows.size()) + " rows");
  co_return echoed{rows.text(0, 0) == "t", rows.text(0, 1), rows.int64(0, 2), rows.int64(0, 3)};
}

// The answers of `count` statements sent at once from several threads' coroutines; each
// entry is the statement's answer or the text of its exception.
struct outcome {
  std::optional<echoed> answer;
  std::string failure;
};
std::vector<outcome> run_many(kemas::test::io_threads& io, pg::pg_pipeline& pipeline, int count,
                              int failing = -1) {
  std::vector<std::future<echoed>> futures;
  for (int i = 0; i < count; ++i) {
    const std::string number = i == failing ? "not a number" : std::to_string(i);
    futures.push_back(asio::co_spawn(io.context(), run_echo(pipeline, "n" + std::to_string(i), number),
                                     asio::use_future));
  }
  std::vector<outcome> out;
  for (auto& f : futures) {
    REQUIRE(f.wait_for(std::chrono::seconds(30)) == std::future_status::ready);
    try {
      out.push_back({f.get(), {}});
    } catch (const std::exception& e) {
      out.push_back({std::nullopt, pg::sqlstate(e) + " " + e.what()});
    }
  }
  return out;
}

}  // namespace

TEST_CASE("pipelined statements each get their own answer and text and NULL parameters") {
  kemas::test::io_threads io(2);
  auto settings = kemas::test::pg_settings_from_env();
  settings.read_connections = 1;
  pg::pg_pipeline pipeline(io.context(), settings, "kemas-it-pipeline");
  const auto first = io.run(run_echo(pipeline, "ünï'code; DROP TABLE x", "21"));
  CHECK_FALSE(first.was_null);
  CHECK(first.text == "ünï'code; DROP TABLE x");
  CHECK(first.doubled == 42);
  CHECK(io.run(run_echo(pipeline, std::nullopt, "1")).was_null);

  const auto answers = run_many(io, pipeline, 200);
  for (int i = 0; i < 200; ++i) {
    CAPTURE(i);
    REQUIRE(answers[i].answer);
    CHECK(answers[i].answer->text == "n" + std::to_string(i));
    CHECK(answers[i].answer->doubled == 2 * i);
    CHECK(answers[i].answer->backend == first.backend);  // one connection carried them all
  }
  pipeline.stop();
}

TEST_CASE("a failing statement fails alone with its SQLSTATE among others in flight") {
  kemas::test::io_threads io(2);
  auto settings = kemas::test::pg_settings_from_env();
  settings.read_connections = 1;
  pg::pg_pipeline pipeline(io.context(), settings, "kemas-it-pipeline-error");
  // The first statement on the connection is also the one that prepares it.
  const auto answers = run_many(io, pipeline, 50, 0);
  CHECK_FALSE(answers[0].answer);
  CHECK(answers[0].failure.starts_with("22P02"));
  for (int i = 1; i < 50; ++i) {
    CAPTURE(i);
    REQUIRE(answers[i].answer);
    CHECK(answers[i].answer->doubled == 2 * i);
  }
  const auto again = run_many(io, pipeline, 20, 7);
  CHECK(again[7].failure.starts_with("22P02"));
  REQUIRE(again[8].answer);
  CHECK(again[8].answer->doubled == 16);
  pipeline.stop();
}

TEST_CASE("a killed connection fails as a connection error and the next statement reconnects") {
  kemas::test::io_threads io(2);
  auto settings = kemas::test::pg_settings_from_env();
  settings.read_connections = 1;
  const std::string app_name = "kemas-it-pipeline-kill-" + std::to_string(::getpid());
  pg::pg_pipeline pipeline(io.context(), settings, app_name, std::chrono::milliseconds(0));
  const auto before = io.run(run_echo(pipeline, "a", "1"));
  kemas::test::pg_exec_admin(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '" +
      app_name + "'");
  std::optional<echoed> after;
  for (int attempt = 0; attempt < 3 && !after; ++attempt) {
    try {
      after = io.run(run_echo(pipeline, "b", "3"));
    } catch (const std::exception& e) {
      CAPTURE(e.what());
      CHECK(pg::classify(e) == pg::pg_error_kind::connection);  // no reconnect_delay: next call connects
    }
  }
  REQUIRE(after);
  CHECK(after->text == "b");
  CHECK(after->doubled == 6);
  CHECK(after->backend != before.backend);
  pipeline.stop();
}

TEST_CASE("an unreachable server is a connection error at once and queues nothing") {
  kemas::test::io_threads io(2);
  auto settings = kemas::test::pg_settings_from_env();
  settings.url = "postgresql://kemas@127.0.0.1:1/kemas";  // nothing listens on port 1
  settings.read_connections = 2;
  pg::pg_pipeline pipeline(io.context(), settings, "kemas-it-pipeline-down",
                           std::chrono::seconds(30));
  for (int i = 0; i < 3; ++i) {
    const auto started = std::chrono::steady_clock::now();
    try {
      io.run(run_echo(pipeline, "x", "1"));
      FAIL("a statement ran without a server");
    } catch (const std::exception& e) {
      CAPTURE(e.what());
      CHECK(pg::classify(e) == pg::pg_error_kind::connection);
    }
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(5));
  }
  pipeline.stop();
}

// A batch is one implicit transaction: without a sync point of its own, an INSERT answered
// before a failing neighbour would be rolled back by it, after its caller heard "done".
TEST_CASE("a write sent alone keeps its row when statements beside it fail") {
  const std::string table = "kemas_it_pipeline_writes_" + std::to_string(::getpid());
  kemas::test::pg_exec_admin("CREATE TABLE " + table + " (v text PRIMARY KEY)");
  const pg::prepared_statement insert{"kemas_it_pipeline_insert",
                                      "INSERT INTO " + table + " VALUES ($1)", /*alone=*/true};
  const pg::prepared_statement count{"kemas_it_pipeline_count", "SELECT count(*) FROM " + table};
  kemas::test::io_threads io(2);
  auto settings = kemas::test::pg_settings_from_env();
  settings.read_connections = 1;
  pg::pg_pipeline pipeline(io.context(), settings, "kemas-it-pipeline-writes");
  auto write = [&](std::string value) -> asio::awaitable<void> {
    std::vector<std::optional<std::string>> parameters{std::move(value)};
    co_await pipeline.execute(insert, std::move(parameters));
  };
  constexpr int rounds = 30;
  std::vector<std::future<void>> writes;
  std::vector<std::future<echoed>> failing;
  for (int i = 0; i < rounds; ++i) {  // each write between two failing reads, sent together
    failing.push_back(asio::co_spawn(io.context(), run_echo(pipeline, "x", "no"), asio::use_future));
    writes.push_back(asio::co_spawn(io.context(), write("w" + std::to_string(i)), asio::use_future));
    failing.push_back(asio::co_spawn(io.context(), run_echo(pipeline, "y", "no"), asio::use_future));
  }
  int written = 0;
  for (auto& w : writes) {
    REQUIRE(w.wait_for(std::chrono::seconds(30)) == std::future_status::ready);
    CHECK_NOTHROW(w.get());
    ++written;
  }
  for (auto& f : failing) {
    REQUIRE(f.wait_for(std::chrono::seconds(30)) == std::future_status::ready);
    CHECK_THROWS(f.get());
  }
  auto rows_now = [&]() -> asio::awaitable<long long> {
    std::vector<std::optional<std::string>> none;
    const auto rows = co_await pipeline.execute(count, std::move(none));
    co_return rows.int64(0, 0);
  };
  CHECK(io.run(rows_now()) == rounds);
  CHECK(written == rounds);
  pipeline.stop();
  kemas::test::pg_exec_admin("DROP TABLE " + table);
}

TEST_CASE("a pipeline on several loops serves each caller over a connection of its own loop") {
  kemas::test::io_threads first(1), second(1), elsewhere(1);
  auto settings = kemas::test::pg_settings_from_env();
  settings.read_connections = 4;  // two per loop
  pg::pg_pipeline pipeline(std::vector<asio::io_context*>{&first.context(), &second.context()},
                           settings, "kemas-it-pipeline-loops");
  std::set<long long> on_first, on_second;
  for (int i = 0; i < 8; ++i) {
    on_first.insert(first.run(run_echo(pipeline, "a", "1")).backend);
    on_second.insert(second.run(run_echo(pipeline, "b", "2")).backend);
  }
  CHECK(on_first.size() == 2);  // both of its loop's connections, in turn
  CHECK(on_second.size() == 2);
  for (long long backend : on_first)
    CHECK(on_second.count(backend) == 0);  // never one of the other loop's
  // A caller on no loop of the pipeline is still served, by any of the four.
  const long long other = elsewhere.run(run_echo(pipeline, "c", "3")).backend;
  CHECK((on_first.count(other) + on_second.count(other)) == 1);
  pipeline.stop();
}
