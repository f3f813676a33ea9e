#pragma once
// What PostgreSQL itself counted for one database: statements from pg_stat_statements
// (scripts/services.sh preloads it and installs its view in the main database's `monitoring`
// schema) and a table's sequential and index scans from pg_stat_user_tables. Tests state a
// route's cost in statements with these, so the count is the server's, not the client's.
//
// pg_stat_statements counts a statement when it ends, before its result reaches the client:
// a request's statements are all counted once its response arrived. Table scans reach
// pg_stat_user_tables only when the backend that ran them flushes its statistics (within
// about a second of going idle), so scans_after() waits for the index scans it expects.
//
// Threading: one test thread owns an instance. Failures throw.

#include <memory>
#include <string>

#include "adapters/config/settings.hpp"
#include "domain/non_copyable.hpp"

namespace kemas::postgres {
class pg_pool;
}

namespace kemas::test {

// How often statements ran and how often PostgreSQL planned them (pg_stat_statements with
// track_planning, which scripts/services.sh turns on). A prepared statement on its generic
// plan is planned a few times per connection, then never again.
struct statement_plans {
  long long calls = 0;
  long long plans = 0;
};

struct table_scans {
  long long sequential = 0;
  long long index = 0;
};

class pg_statement_meter : kemas::non_copyable {
 public:
  // `name` and `database`: the scratch database the code under test uses. The meter's own
  // statements there (the scans() queries, which name pg_stat_*) are not counted.
  pg_statement_meter(std::string name, const config::postgres_settings& database);
  ~pg_statement_meter();

  // Every statement that database has run so far (BEGIN and COMMIT included).
  long long statements();
  // Those whose normalized text (parameters shown as $1, $2, ...) is LIKE `pattern`.
  long long statements_like(const std::string& pattern);
  // Calls and plans of those statements.
  statement_plans plans_like(const std::string& pattern);

  // Scans of `table` so far, as flushed.
  table_scans scans(const std::string& table);
  // Scans of `table` once at least `index_scans` index scans are counted (waits up to 10 s
  // for the statistics to be flushed; throws when they never are).
  table_scans scans_after(const std::string& table, long long index_scans);

 private:
  std::string database_;
  std::unique_ptr<postgres::pg_pool> stats_;   // on the main database: its view of all of them
  std::unique_ptr<postgres::pg_pool> tables_;  // on `database`: its own table statistics
};

}  // namespace kemas::test
