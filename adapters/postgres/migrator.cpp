// Applying migrations: lock, compare with schema_migrations, run what is missing.
// Works on the libpq handle directly: migration files are multi-statement scripts, which
// SOCI 4.0 cannot send, and keeping one API for the whole flow keeps it easy to follow.
#include "adapters/postgres/migrator.hpp"

#include "adapters/postgres/native.hpp"

#include "adapters/log/logging.hpp"
#include "domain/non_copyable.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <optional>

namespace kemas::postgres {
namespace {

// One lock for "a migrate run is in progress on this database": 'kemas' in ASCII.
#define KEMAS_MIGRATION_LOCK_KEY "461195354483"
constexpr const char* lock_sql = "SELECT pg_advisory_lock(" KEMAS_MIGRATION_LOCK_KEY ")";
constexpr const char* unlock_sql = "SELECT pg_advisory_unlock(" KEMAS_MIGRATION_LOCK_KEY ")";
#undef KEMAS_MIGRATION_LOCK_KEY

constexpr const char* create_table_sql = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
  version    integer PRIMARY KEY CHECK (version > 0),
  name       text NOT NULL,
  checksum   text NOT NULL CHECK (checksum ~ '^[0-9a-f]{64}$'),
  applied_at timestamptz NOT NULL DEFAULT now()
))sql";

using result_ptr = std::unique_ptr<PGresult, decltype(&PQclear)>;

result_ptr query(PGconn* conn, const char* sql, const std::vector<std::string>& params = {}) {
  std::vector<const char*> values;
  for (const auto& p : params)
    values.push_back(p.c_str());
  result_ptr result(PQexecParams(conn, sql, static_cast<int>(values.size()), nullptr, values.data(),
                                 nullptr, nullptr, 0),
                    &PQclear);
  const auto status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    std::string message = result ? PQresultErrorMessage(result.get()) : PQerrorMessage(conn);
    while (!message.empty() && message.back() == '\n')
      message.pop_back();
    const char* state = result ? PQresultErrorField(result.get(), PG_DIAG_SQLSTATE) : nullptr;
    throw pg_sql_error(message, state != nullptr ? state : "", 0);
  }
  return result;
}

// Holds the migration lock for the scope; restores the session's statement_timeout.
class migration_lock : kemas::non_copyable {
 public:
  migration_lock(PGconn* conn, std::chrono::milliseconds wait) : conn_(conn) {
    auto shown = query(conn_, "SHOW statement_timeout");
    previous_timeout_ = PQgetvalue(shown.get(), 0, 0);
    query(conn_, "SELECT set_config('statement_timeout', $1, false)",
          {std::to_string(wait.count())});
    try {
      query(conn_, lock_sql);
    } catch (const pg_sql_error&) {
      restore_timeout();  // the destructor will not run
      throw;
    }
    locked_ = true;
    query(conn_, "SELECT set_config('statement_timeout', $1, false)", {previous_timeout_});
  }
  ~migration_lock() {
    try {
      if (PQtransactionStatus(conn_) != PQTRANS_IDLE)
        query(conn_, "ROLLBACK");
      if (locked_)
        query(conn_, unlock_sql);
      restore_timeout();
    } catch (const std::exception& e) {
      // The lock dies with the connection, which is what breaks these calls.
      log::warn("releasing the migration lock failed", {{"error", e.what()}});
    }
  }

 private:
  void restore_timeout() noexcept {
    try {
      query(conn_, "SELECT set_config('statement_timeout', $1, false)", {previous_timeout_});
    } catch (const std::exception& e) {
      log::warn("restoring statement_timeout failed", {{"error", e.what()}});
    }
  }

  PGconn* conn_;
  std::string previous_timeout_ = "0";
  bool locked_ = false;
};

struct recorded {
  std::string name;
  std::string checksum;
};

std::map<int, recorded> read_recorded(PGconn* conn) {
  auto rows = query(conn, "SELECT version, name, checksum FROM schema_migrations ORDER BY version");
  std::map<int, recorded> out;
  for (int i = 0; i < PQntuples(rows.get()); ++i) {
    out[std::stoi(PQgetvalue(rows.get(), i, 0))] = {PQgetvalue(rows.get(), i, 1),
                                                    PQgetvalue(rows.get(), i, 2)};
  }
  return out;
}

// The database and the files must agree on everything already applied.
std::optional<migration_error> check_recorded(const std::map<int, recorded>& applied,
                                              const std::vector<migration>& migrations) {
  for (const auto& [version, row] : applied) {
    const auto label = std::to_string(version) + " (" + row.name + ")";
    auto file = std::find_if(migrations.begin(), migrations.end(),
                             [v = version](const migration& m) { return m.version == v; });
    if (file == migrations.end()) {
      return migration_error{"the database has migration " + label +
                             " applied, but no file for it exists: this build is older than "
                             "the database schema"};
    }
    const auto& m = *file;
    if (m.name != row.name) {
      return migration_error{"migration " + m.label() + " was applied under the name '" + row.name +
                             "': do not rename applied migrations"};
    }
    if (m.checksum != row.checksum) {
      return migration_error{"migration " + m.label() +
                             " was changed after it was applied (recorded sha256 " + row.checksum +
                             ", file has " + m.checksum +
                             "): add a new migration instead of editing an applied one"};
    }
  }
  for (const auto& m : migrations) {
    if (!applied.contains(m.version) && !applied.empty() && applied.rbegin()->first > m.version) {
      return migration_error{"migration " + m.label() + " is not applied but a later one (" +
                             std::to_string(applied.rbegin()->first) + ") is"};
    }
  }
  return std::nullopt;
}

std::optional<migration_error> apply(PGconn* conn, const migration& m,
                                     const migrate_options& options) {
  bool in_script = false;
  try {
    query(conn, "BEGIN");
    query(conn, "SELECT set_config('statement_timeout', $1, true)",
          {std::to_string(options.statement_timeout.count())});
    in_script = true;
    exec_script(conn, m.sql);
    in_script = false;
    if (PQtransactionStatus(conn) != PQTRANS_INTRANS) {
      return migration_error{"migration " + m.label() +
                             " ended its transaction itself (COMMIT/ROLLBACK in the file?); "
                             "check the schema by hand before running migrate again"};
    }
    query(conn, "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
          {std::to_string(m.version), m.name, m.checksum});
    query(conn, "COMMIT");
    return std::nullopt;
  } catch (const pg_sql_error& e) {
    try {
      if (PQtransactionStatus(conn) != PQTRANS_IDLE)
        query(conn, "ROLLBACK");
    } catch (const std::exception&) {
      // Connection gone: the server rolled back for us.
    }
    std::string where = in_script && e.line() > 0 ? " at line " + std::to_string(e.line()) : "";
    return migration_error{"migration " + m.label() + " failed" + where +
                           " and was rolled back: " + e.what()};
  }
}

}  // namespace

migration_result<migration_report> migrate(soci::session& sql,
                                           const std::vector<migration>& migrations,
                                           const migrate_options& options) {
  PGconn* conn = native_handle(sql);
  if (conn == nullptr || PQstatus(conn) != CONNECTION_OK) {
    return migration_error{"migrate needs an open PostgreSQL connection"};
  }
  if (PQtransactionStatus(conn) != PQTRANS_IDLE) {
    return migration_error{"migrate must not run inside a transaction"};
  }
  try {
    std::optional<migration_lock> lock;
    try {
      lock.emplace(conn, options.lock_timeout);
    } catch (const pg_sql_error& e) {
      if (e.sqlstate() != "57014")
        throw;
      return migration_error{"another migrate run has held the migration lock for more than " +
                             std::to_string(options.lock_timeout.count() / 1000) + " s"};
    }
    query(conn, create_table_sql);
    const auto applied = read_recorded(conn);
    if (auto mismatch = check_recorded(applied, migrations))
      return *mismatch;

    migration_report report;
    report.current_version = applied.empty() ? 0 : applied.rbegin()->first;
    for (const auto& m : migrations) {
      if (applied.contains(m.version))
        continue;
      const auto start = std::chrono::steady_clock::now();
      if (auto failure = apply(conn, m, options))
        return *failure;
      const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - start);
      log::info("applied migration", {{"migration", m.label()}, {"duration_ms", took.count()}});
      report.applied.push_back({m.version, m.name, took});
      report.current_version = m.version;
    }
    return report;
  } catch (const std::exception& e) {
    return migration_error{std::string("migrate failed: ") + e.what()};
  }
}

migration_result<migration_report> migrate(soci::session& sql, const std::filesystem::path& dir,
                                           const migrate_options& options) {
  auto migrations = load_migrations(dir);
  if (!migrations)
    return migrations.error();
  return migrate(sql, *migrations, options);
}

}  // namespace kemas::postgres
