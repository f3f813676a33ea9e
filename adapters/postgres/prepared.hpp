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
#include <type_traits>

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
  // Rows an INSERT, UPDATE or DELETE changed, or a SELECT returned (PQcmdTuples).
  std::int64_t affected() const;

 private:
  std::unique_ptr<PGresult, decltype(&PQclear)> result_;
};

// Executes `statement` on the session's connection with text parameters (nullopt is NULL),
// preparing it first when this connection has not seen it. Throws pg_sql_error with the
// server's SQLSTATE; the pool turns a lost connection into pg_connection_error. A statement
// the server no longer has (26000) is prepared again and run once more; inside a transaction
// that failure has already aborted it, so the error is thrown instead, and errors.hpp
// classifies 26000 as retryable: the caller's next run of the transaction prepares anew.
prepared_rows execute_prepared(soci::session& sql, const prepared_statement& statement,
                               std::span<const std::optional<std::string>> parameters);

// A parameter's text as execute() sends it: strings as they are, uuids in their canonical
// form, integers in decimal, bools as true/false, an empty optional as NULL.
inline std::optional<std::string> parameter_text(std::string value) { return value; }
inline std::optional<std::string> parameter_text(std::string_view value) {
  return std::string(value);
}
inline std::optional<std::string> parameter_text(const char* value) { return std::string(value); }
inline std::optional<std::string> parameter_text(const uuid& value) { return value.to_string(); }
inline std::optional<std::string> parameter_text(bool value) {
  return std::string(value ? "true" : "false");
}
template <class Integer>
  requires std::is_integral_v<Integer> && (!std::is_same_v<Integer, bool>)
std::optional<std::string> parameter_text(Integer value) {
  return std::to_string(value);
}
template <class T>
std::optional<std::string> parameter_text(const std::optional<T>& value) {
  return value ? parameter_text(*value) : std::nullopt;
}

// execute_prepared with its parameters written out, in the statement's $1, $2, ... order:
//   const prepared_rows rows = execute(sql, soft_delete, request.file_id, request.owner);
template <class... Parameters>
prepared_rows execute(soci::session& sql, const prepared_statement& statement,
                      const Parameters&... parameters) {
  if constexpr (sizeof...(Parameters) == 0) {
    return execute_prepared(sql, statement, {});
  } else {
    const std::optional<std::string> texts[] = {parameter_text(parameters)...};
    return execute_prepared(sql, statement, texts);
  }
}

// Forgets the statements prepared on sql's connection. The pool calls it whenever it opens a
// connection: a new PGconn may reuse the freed one's address, so the address alone cannot
// tell a new connection from the old (a worker's transaction after a PostgreSQL restart
// failed on it: 26000, then "current transaction is aborted").
void forget_prepared(const soci::session& sql) noexcept;

}  // namespace kemas::postgres
