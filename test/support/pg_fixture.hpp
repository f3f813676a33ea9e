#pragma once
// Test helpers for PostgreSQL: settings from the KEMAS_POSTGRES_* environment written by
// scripts/services.sh (.run/env), throw-away databases, a schema dump for comparing
// schemas, and an io_context on a few threads for driving pg_pool coroutines.

#include "test/support/io_threads.hpp"
#include "adapters/config/settings.hpp"
#include "domain/non_copyable.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <chrono>
#include <future>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace soci {
class session;
}

namespace kemas::test {

// KEMAS_POSTGRES_URL and KEMAS_POSTGRES_PASSWORD from the environment, else from
// <source dir>/.run/env; pool_size 2, short timeouts. Throws std::runtime_error naming a
// missing variable.
config::postgres_settings pg_settings_from_env();

// `url` (a libpq URI or keyword/value string) pointed at database `dbname`.
std::string pg_url_for_database(const std::string& url, const std::string& dbname);

// Creates a database with a unique name ("kemas_it_<tag>_<hex>") on construction and drops
// it (WITH (FORCE): lingering connections are cut) on destruction.
class scratch_database : kemas::non_copyable {
 public:
  explicit scratch_database(std::string_view tag);
  ~scratch_database();

  const std::string& name() const noexcept { return name_; }
  // Settings whose url points at this database.
  config::postgres_settings settings() const;

 private:
  config::postgres_settings base_;
  std::string name_;
};

// Runs `sql` on the server's default database (from pg_settings_from_env) on a connection of
// its own; for CREATE/DROP DATABASE and pg_terminate_backend. Throws on failure.
void pg_exec_admin(const std::string& sql);

// Tables with their columns (type, nullability, default), constraints, indexes, triggers
// and functions of the public schema, one per line, sorted: equal dumps, equal schemas.
std::string pg_schema_dump(soci::session& sql);


}  // namespace kemas::test
