// execute_prepared against the real PostgreSQL of scripts/services.sh: a statement is prepared
// once per connection however often it runs, NULL and text parameters arrive as such, a write
// without RETURNING succeeds and counts the rows it changed, a
// server error keeps its SQLSTATE, and a connection the server killed is prepared again on
// its successor (the pool reconnects; the old names are gone with the old backend), also
// inside a transaction; a statement the server dropped under a transaction is a retryable
// error, and the rerun succeeds.
#include "adapters/postgres/errors.hpp"
#include "adapters/postgres/pool.hpp"
#include "adapters/postgres/prepared.hpp"
#include "test/support/pg_fixture.hpp"

#include <doctest/doctest.h>
#include <soci/soci.h>

#include <unistd.h>

#include <cstdint>
#include <optional>
#include <string_view>
#include <string>
#include <vector>

namespace {

namespace pg = kemas::postgres;

const pg::prepared_statement echo{
    "kemas_it_echo", "SELECT $1::text IS NULL, coalesce($1::text, ''), $2::bigint * 2"};

struct echoed {
  bool was_null = false;
  std::string text;
  long long doubled = 0;
};

echoed run_echo(pg::pg_pool& pool, std::optional<std::string> text, std::string number) {
  return pool.with_session([&](soci::session& sql) {
    const std::vector<std::optional<std::string>> parameters{text, number};
    const pg::prepared_rows rows = pg::execute_prepared(sql, echo, parameters);
    REQUIRE(rows.size() == 1);
    return echoed{rows.text(0, 0) == "t", rows.text(0, 1), rows.int64(0, 2)};
  });
}

// The echo inside a transaction, as the workers' command stores run their statements.
echoed run_echo_in_transaction(pg::pg_pool& pool, std::string text, std::string number) {
  return pool.with_session([&](soci::session& sql) {
    soci::transaction tx(sql);
    const std::vector<std::optional<std::string>> parameters{text, number};
    const pg::prepared_rows rows = pg::execute_prepared(sql, echo, parameters);
    REQUIRE(rows.size() == 1);
    echoed out{rows.text(0, 0) == "t", rows.text(0, 1), rows.int64(0, 2)};
    tx.commit();
    return out;
  });
}

// Rows of pg_prepared_statements on the pool's (single) connection for the echo statement,
// and how many times it ran there.
std::pair<int, long long> prepared_here(pg::pg_pool& pool) {
  return pool.with_session([](soci::session& sql) {
    int rows = 0;
    long long runs = 0;
    sql << "SELECT count(*), coalesce(sum(generic_plans + custom_plans), 0) "
           "FROM pg_prepared_statements WHERE name = 'kemas_it_echo'",
        soci::into(rows), soci::into(runs);
    return std::pair{rows, runs};
  });
}

}  // namespace

TEST_CASE("a statement is prepared once per connection and takes text and NULL parameters") {
  auto settings = kemas::test::pg_settings_from_env();
  settings.pool_size = 1;
  pg::pg_pool pool(settings, "kemas-it-prepared");
  for (int i = 0; i < 10; ++i) {
    const echoed e = run_echo(pool, "ünï'code; DROP TABLE x", std::to_string(i));
    CHECK_FALSE(e.was_null);
    CHECK(e.text == "ünï'code; DROP TABLE x");
    CHECK(e.doubled == 2 * i);
  }
  const echoed null_text = run_echo(pool, std::nullopt, "21");
  CHECK(null_text.was_null);
  CHECK(null_text.doubled == 42);
  const auto [rows, runs] = prepared_here(pool);
  CHECK(rows == 1);
  CHECK(runs == 11);
}

TEST_CASE("a write without RETURNING answers how many rows it changed") {
  auto settings = kemas::test::pg_settings_from_env();
  settings.pool_size = 1;
  pg::pg_pool pool(settings, "kemas-it-prepared");
  const pg::prepared_statement fill{
      "kemas_it_fill", "INSERT INTO pg_temp.kemas_it_rows SELECT generate_series(1, $1::int)"};
  const pg::prepared_statement drop_even{"kemas_it_drop_even",
                                         "DELETE FROM pg_temp.kemas_it_rows WHERE n % 2 = 0"};
  pool.with_session([&](soci::session& sql) {
    sql << "CREATE TEMP TABLE kemas_it_rows (n int)";
    const std::vector<std::optional<std::string>> five{std::string("5")};
    const pg::prepared_rows filled = pg::execute_prepared(sql, fill, five);
    CHECK(filled.size() == 0);
    CHECK(filled.affected() == 5);
    CHECK(pg::execute_prepared(sql, drop_even, {}).affected() == 2);
    CHECK(pg::execute_prepared(sql, drop_even, {}).affected() == 0);
    CHECK(pg::execute_prepared(sql, echo, std::vector<std::optional<std::string>>{
                                              std::string("x"), std::string("1")})
              .affected() == 1);  // a SELECT's count: the rows it returned
  });
}

TEST_CASE("execute sends each kind of parameter as the statement expects it") {
  auto settings = kemas::test::pg_settings_from_env();
  settings.pool_size = 1;
  pg::pg_pool pool(settings, "kemas-it-prepared");
  const pg::prepared_statement kinds{
      "kemas_it_parameter_kinds",
      "SELECT $1::uuid::text, $2::bigint + 1, $3::boolean, $4::text IS NULL, $5::text, "
      "$6::int, $7::text"};
  const auto id = kemas::uuid::parse("0b7e1c2a-3f4d-4e5a-8b6c-7d8e9f0a1b2c").value();
  const std::optional<std::int64_t> missing;
  const std::optional<int> present = -7;
  const std::string_view view = "view's text";
  pool.with_session([&](soci::session& sql) {
    const pg::prepared_rows rows =
        pg::execute(sql, kinds, id, std::int64_t{9'007'199'254'740'993}, false, missing, view,
                    present, "literal");
    REQUIRE(rows.size() == 1);
    CHECK(rows.id(0, 0) == id);
    CHECK(rows.int64(0, 1) == 9'007'199'254'740'994);  // beyond a double's exact integers
    CHECK(rows.text(0, 2) == "f");
    CHECK(rows.text(0, 3) == "t");
    CHECK(rows.text(0, 4) == "view's text");
    CHECK(rows.int64(0, 5) == -7);
    CHECK(rows.text(0, 6) == "literal");
    CHECK(pg::execute(sql, kinds, id, 0, true, std::optional<std::string>("x"), "", 0, "")
              .text(0, 3) == "f");
  });
}

TEST_CASE("a server error keeps its SQLSTATE and the statement stays usable") {
  auto settings = kemas::test::pg_settings_from_env();
  settings.pool_size = 1;
  pg::pg_pool pool(settings, "kemas-it-prepared-error");
  try {
    run_echo(pool, "x", "not a number");
    FAIL("a bad bigint was accepted");
  } catch (const std::exception& e) {
    CAPTURE(e.what());
    CHECK(pg::sqlstate(e) == "22P02");
    CHECK(pg::classify(e) == pg::pg_error_kind::invalid_input);
  }
  CHECK(run_echo(pool, "y", "4").doubled == 8);
}

TEST_CASE("after the server kills the connection the statement is prepared again on the next") {
  auto settings = kemas::test::pg_settings_from_env();
  settings.pool_size = 1;
  const std::string app_name = "kemas-it-prepared-kill-" + std::to_string(::getpid());
  pg::pg_pool pool(settings, app_name);
  CHECK(run_echo(pool, "a", "1").doubled == 2);
  kemas::test::pg_exec_admin(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '" +
      app_name + "'");
  // The pool notices the dead idle connection before the next call, or that call fails as a
  // connection error; either way a following call runs on a new backend, prepared anew.
  std::optional<echoed> answer;
  for (int attempt = 0; attempt < 2 && !answer; ++attempt) {
    try {
      answer = run_echo(pool, "b", "3");
    } catch (const std::exception& e) {
      CAPTURE(e.what());
      CHECK(pg::classify(e) == pg::pg_error_kind::connection);
    }
  }
  REQUIRE(answer);
  CHECK(answer->text == "b");
  CHECK(answer->doubled == 6);
  CHECK(prepared_here(pool) == std::pair{1, 1LL});
}

TEST_CASE("a transaction on a re-made connection prepares its statements anew") {
  // The new PGconn may sit at the freed one's address (glibc hands the same block back), so
  // only the pool's reconnect can tell the statements are gone. Before it did, the first
  // transaction after a PostgreSQL restart failed 26000 and then "current transaction is
  // aborted" (25P02), and a worker dead-lettered the command it was applying.
  auto settings = kemas::test::pg_settings_from_env();
  settings.pool_size = 1;
  const std::string app_name = "kemas-it-prepared-tx-" + std::to_string(::getpid());
  pg::pg_pool pool(settings, app_name);
  for (int round = 0; round < 3; ++round) {
    CAPTURE(round);
    CHECK(run_echo_in_transaction(pool, "a", "1").doubled == 2);
    kemas::test::pg_exec_admin(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '" +
        app_name + "'");
    std::optional<echoed> answer;
    for (int attempt = 0; attempt < 2 && !answer; ++attempt) {
      try {
        answer = run_echo_in_transaction(pool, "b", "3");
      } catch (const std::exception& e) {
        CAPTURE(e.what());
        CHECK(pg::classify(e) == pg::pg_error_kind::connection);  // never 25P02 ("other")
      }
    }
    REQUIRE(answer);
    CHECK(answer->doubled == 6);
  }
}

TEST_CASE("a statement the server dropped under a transaction is retryable and the rerun works") {
  auto settings = kemas::test::pg_settings_from_env();
  settings.pool_size = 1;
  pg::pg_pool pool(settings, "kemas-it-prepared-dropped");
  CHECK(run_echo_in_transaction(pool, "a", "1").doubled == 2);
  // What a transaction pooler or a DISCARD does: the server forgets, our cache does not.
  pool.with_session([](soci::session& sql) { sql << "DEALLOCATE kemas_it_echo"; });
  try {
    run_echo_in_transaction(pool, "b", "2");
    FAIL("a dropped statement ran inside an aborted transaction");
  } catch (const std::exception& e) {
    CAPTURE(e.what());
    CHECK(pg::sqlstate(e) == "26000");
    CHECK(pg::classify(e) == pg::pg_error_kind::retryable);
    CHECK(pg::is_transient(pg::classify(e)));
  }
  CHECK(run_echo_in_transaction(pool, "c", "5").doubled == 10);
  // Outside a transaction the same loss is repaired within the call.
  pool.with_session([](soci::session& sql) { sql << "DEALLOCATE kemas_it_echo"; });
  CHECK(run_echo(pool, "d", "6").doubled == 12);
}
