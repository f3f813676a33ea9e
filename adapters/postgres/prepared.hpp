#pragma once
// Server-side prepared statements on the pool's sessions: a statement is parsed and planned
// once per connection (PQprepare) and each call is one PQexecPrepared, a single round trip on
// a plan PostgreSQL keeps. SOCI 4.0 cannot do this: its "repeatable" statements prepare,
// execute and deallocate on every use, its one-time queries plan every time, and PostgreSQL
// takes no bind parameters on an SQL-level EXECUTE. For the file list (one statement over the
// user_limits view) planning cost several times the execution.
//
// Include only from .cpp files of this adapter: it pulls in libpq.

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "domain/uuid.hpp"

namespace soci {
class session;
}

namespace kemas::postgres {

struct prepared_statement {
  std::string name;  // unique in the process
  std::string sql;   // with $1, $2, ... ; parameter types are inferred from their use
  // In pg_pipeline: a write goes behind a sync point of its own, so its answer means its
  // implicit transaction committed and no neighbour's failure can roll it back.
  bool alone = false;
};

// The rows of one executed statement, read as text (libpq's text format).
class prepared_rows {
 public:
  explicit prepared_rows(PGresult* result) : result_(result, &PQclear) {}
  int size() const noexcept { return PQntuples(result_.get()); }
  bool is_null(int row, int column) const noexcept {
    return PQgetisnull(result_.get(), row, column) != 0;
  }
  std::string text(int row, int column) const;
  std::int64_t int64(int row, int column) const;
  // A uuid column (as id::text); std::runtime_error when it is not one.
  uuid id(int row, int column) const;

 private:
  std::unique_ptr<PGresult, decltype(&PQclear)> result_;
};

// Executes `statement` on the session's connection with text parameters (nullopt is NULL),
// preparing it first when this connection has not seen it. Throws pg_sql_error with the
// server's SQLSTATE; the pool turns a lost connection into pg_connection_error.
prepared_rows execute_prepared(soci::session& sql, const prepared_statement& statement,
                               std::span<const std::optional<std::string>> parameters);

}  // namespace kemas::postgres
