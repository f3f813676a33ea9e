#include "adapters/postgres/prepared.hpp"

#include "adapters/postgres/native.hpp"

#include <charconv>
#include <cstring>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace kemas::postgres {
namespace {

// Each pool thread owns its session (pool.hpp), so what was prepared where is per thread:
// the session's current PGconn and the names prepared on it. The pool forgets a session's
// names when it (re)connects it (forget_prepared); the PGconn comparison covers sessions
// opened elsewhere, and 26000 anything else that dropped a statement.
struct prepared_on_connection {
  PGconn* connection = nullptr;
  std::unordered_set<std::string> names;
};
thread_local std::unordered_map<const soci::session*, prepared_on_connection> prepared;

using result_ptr = std::unique_ptr<PGresult, decltype(&PQclear)>;

[[noreturn]] void throw_failure(PGconn* connection, const PGresult* result) {
  if (result == nullptr)
    throw pg_sql_error(PQerrorMessage(connection), {}, 0);
  std::string message = PQresultErrorMessage(result);
  while (!message.empty() && message.back() == '\n')
    message.pop_back();
  const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  throw pg_sql_error(message, state != nullptr ? state : "", 0);
}

bool is_missing_statement(const PGresult* result) {
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  return state != nullptr && std::string_view(state) == "26000";
}

void prepare(PGconn* connection, const prepared_statement& statement) {
  result_ptr result(PQprepare(connection, statement.name.c_str(), statement.sql.c_str(), 0,
                              nullptr),
                    &PQclear);
  if (!result || PQresultStatus(result.get()) != PGRES_COMMAND_OK)
    throw_failure(connection, result.get());
}

}  // namespace

void forget_prepared(const soci::session& sql) noexcept {
  prepared.erase(&sql);
}

std::string prepared_rows::text(int row, int column) const {
  return {PQgetvalue(result_.get(), row, column),
          static_cast<std::size_t>(PQgetlength(result_.get(), row, column))};
}

std::int64_t prepared_rows::int64(int row, int column) const {
  const char* value = PQgetvalue(result_.get(), row, column);
  const char* end = value + PQgetlength(result_.get(), row, column);
  std::int64_t out = 0;
  if (auto [at, ec] = std::from_chars(value, end, out); ec != std::errc{} || at != end)
    throw std::runtime_error("postgres: column " + std::to_string(column) + " is not an integer");
  return out;
}

std::int64_t prepared_rows::affected() const {
  const char* text = PQcmdTuples(result_.get());
  std::int64_t out = 0;
  std::from_chars(text, text + std::strlen(text), out);  // "" (no count) stays 0
  return out;
}

uuid prepared_rows::id(int row, int column) const {
  const auto parsed = uuid::parse(text(row, column));
  if (!parsed)
    throw std::runtime_error("postgres: column " + std::to_string(column) + " is not a uuid");
  return *parsed;
}

prepared_rows execute_prepared(soci::session& sql, const prepared_statement& statement,
                               std::span<const std::optional<std::string>> parameters) {
  PGconn* connection = native_handle(sql);
  if (connection == nullptr)
    throw pg_sql_error("postgres: no connection", {}, 0);
  auto& known = prepared[&sql];
  if (known.connection != connection) {
    known.connection = connection;
    known.names.clear();
  }
  std::vector<const char*> values;
  values.reserve(parameters.size());
  for (const auto& parameter : parameters)
    values.push_back(parameter ? parameter->c_str() : nullptr);

  for (int attempt = 0;; ++attempt) {
    if (!known.names.contains(statement.name)) {
      prepare(connection, statement);
      known.names.insert(statement.name);
    }
    result_ptr result(PQexecPrepared(connection, statement.name.c_str(),
                                     static_cast<int>(values.size()), values.data(), nullptr,
                                     nullptr, 0),
                      &PQclear);
    const ExecStatusType status =
        result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
    if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK)  // rows, or a write's count
      return prepared_rows(result.release());
    if (attempt == 0 && is_missing_statement(result.get())) {
      known.names.erase(statement.name);  // the connection is not the one we prepared on
      // Outside a transaction the failed call left nothing behind: prepare and run again.
      // Inside one it aborted the transaction, so only the caller's rerun can succeed.
      if (PQtransactionStatus(connection) != PQTRANS_INERROR)
        continue;
    }
    throw_failure(connection, result.get());
  }
}

}  // namespace kemas::postgres
