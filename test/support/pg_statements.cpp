#include "test/support/pg_statements.hpp"

#include <soci/soci.h>

#include <chrono>
#include <stdexcept>

#include "adapters/postgres/pool.hpp"
#include "test/support/eventually.hpp"
#include "test/support/pg_fixture.hpp"

namespace kemas::test {
namespace {

constexpr const char* calls_sql =
    "SELECT coalesce(sum(s.calls), 0)::bigint, coalesce(sum(s.plans), 0)::bigint "
    "FROM monitoring.pg_stat_statements s "
    "JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = :db AND s.query LIKE :pattern "
    "AND s.query NOT LIKE '%pg_stat_%'";  // scans() below, run in that database

}  // namespace

pg_statement_meter::pg_statement_meter(std::string name, const config::postgres_settings& database)
    : database_(std::move(name)),
      stats_(std::make_unique<postgres::pg_pool>(pg_settings_from_env(), "kemas-test-stats")),
      tables_(std::make_unique<postgres::pg_pool>(database, "kemas-test-stats")) {}

pg_statement_meter::~pg_statement_meter() {
  stats_->stop();
  tables_->stop();
}

long long pg_statement_meter::statements() { return statements_like("%"); }

long long pg_statement_meter::statements_like(const std::string& pattern) {
  return plans_like(pattern).calls;
}

statement_plans pg_statement_meter::plans_like(const std::string& pattern) {
  return stats_->with_session([&](soci::session& sql) {
    statement_plans out;
    sql << calls_sql, soci::use(database_, "db"), soci::use(pattern, "pattern"),
        soci::into(out.calls), soci::into(out.plans);
    return out;
  });
}

table_scans pg_statement_meter::scans(const std::string& table) {
  return tables_->with_session([&](soci::session& sql) {
    table_scans out;
    // Our own backend's pending counts first (the code under test flushes on its own).
    sql << "SELECT pg_stat_force_next_flush()";
    sql << "SELECT coalesce(seq_scan, 0), coalesce(idx_scan, 0) FROM pg_stat_user_tables "
           "WHERE relname = :t",
        soci::use(table, "t"), soci::into(out.sequential), soci::into(out.index);
    // The statistics snapshot is kept per transaction: leave none behind for the next read.
    sql << "SELECT pg_stat_clear_snapshot()";
    return out;
  });
}

table_scans pg_statement_meter::scans_after(const std::string& table, long long index_scans) {
  table_scans now;
  const bool reached = eventually(
      [&] {
        now = scans(table);
        return now.index >= index_scans;
      },
      std::chrono::seconds(10), std::chrono::milliseconds(100));
  if (!reached)
    throw std::runtime_error("pg_stat_user_tables: " + table + " never reached " +
                             std::to_string(index_scans) + " index scans (has " +
                             std::to_string(now.index) + ")");
  return now;
}

}  // namespace kemas::test
