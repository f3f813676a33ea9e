#pragma once
// Schema migrations: schemas/migrations/NNNN_name.sql, applied in numeric order.
//
// Rules the migrator enforces (each breach is an error naming the file or version):
//  - file names are NNNN_name.sql (four digits, name of [a-z0-9_]); other *.sql names,
//    duplicate numbers and gaps (versions must be 1, 2, 3, ...) are refused before anything
//    touches the database;
//  - every migration runs in its own transaction together with its row in
//    schema_migrations(version, name, checksum = sha256 hex of the file bytes, applied_at),
//    so a failing file leaves no trace; a file must therefore not contain BEGIN/COMMIT or
//    statements that cannot run in a transaction (CREATE INDEX CONCURRENTLY);
//  - an applied migration whose file changed (checksum), was renamed, or is missing is an
//    error: the database and the code disagree and a human must decide;
//  - running it again applies nothing; concurrent runs (several workers starting at once)
//    are serialised by a session-level pg_advisory_lock, so each file is applied once.
// Errors are returned as values; nothing here throws for a bad file or a failing SQL.

#include <boost/system/result.hpp>

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace soci {
class session;
}

namespace kemas::postgres {

struct migration {
  int version = 0;
  std::string name;  // "initial" for 0001_initial.sql
  std::filesystem::path path;
  std::string sql;
  std::string checksum;       // lowercase hex sha256 of the file's bytes
  std::string label() const;  // "0001_initial"
};

struct migration_error {
  std::string message;  // names the migration and says what to do
};

struct applied_migration {
  int version = 0;
  std::string name;
  std::chrono::milliseconds duration{0};
  std::string label() const;  // "0001_initial"
};

struct migration_report {
  std::vector<applied_migration> applied;  // in the order they ran; empty when up to date
  int current_version = 0;                 // highest applied version after the run
};

struct migrate_options {
  // How long to wait for another migrate run holding the lock.
  std::chrono::milliseconds lock_timeout{60'000};
  // statement_timeout inside each migration; 0 = none (a migration may rewrite big tables).
  std::chrono::milliseconds statement_timeout{0};
};

template <class T>
using migration_result = boost::system::result<T, migration_error>;

// Reads and checks the directory (names, numbering); does not touch a database.
migration_result<std::vector<migration>> load_migrations(const std::filesystem::path& dir);

// Applies what `sql`'s database lacks. `sql` must be open and not inside a transaction; it
// is left idle and unlocked.
migration_result<migration_report> migrate(soci::session& sql,
                                           const std::vector<migration>& migrations,
                                           const migrate_options& options = {});

// load_migrations + migrate.
migration_result<migration_report> migrate(soci::session& sql, const std::filesystem::path& dir,
                                           const migrate_options& options = {});

// Lets result<T, migration_error>::value() throw std::runtime_error with the message.
[[noreturn]] inline void throw_exception_from_error(const migration_error& error,
                                                    const boost::source_location&) {
  throw std::runtime_error(error.message);
}

}  // namespace kemas::postgres
