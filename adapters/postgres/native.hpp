#pragma once
// Access to the libpq connection under a SOCI session, for the few things SOCI 4.0 cannot
// do: multi-statement scripts (migrations), noticing a dead connection without a round
// trip, transaction status. Include only from .cpp files: it pulls in libpq and SOCI.

#include <libpq-fe.h>

#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace kemas::postgres {

// The session's PGconn, or nullptr when the session is closed or not a PostgreSQL one.
PGconn* native_handle(soci::session& session) noexcept;

// PQconnectdbParams over keyword/value pairs (conninfo.hpp's connection_parameters); blocks
// up to connect_timeout. The caller checks PQstatus and PQfinishes the result.
PGconn* connect_with(const std::vector<std::pair<std::string, std::string>>& parameters);

// Routes server notices (NOTICE/WARNING, and the FATAL a killed backend sends while idle)
// to spdlog instead of libpq's default, which prints to stderr.
void install_notice_logger(PGconn* conn) noexcept;

// Runs `sql` (any number of statements) as one simple query. Throws pg_sql_error with the
// server's message, its SQLSTATE and, when the server reports a position, the line in `sql`.
void exec_script(PGconn* conn, const std::string& sql);

class pg_sql_error : public std::runtime_error {
 public:
  pg_sql_error(const std::string& message, std::string sqlstate, int line)
      : std::runtime_error(message), sqlstate_(std::move(sqlstate)), line_(line) {}
  const std::string& sqlstate() const noexcept { return sqlstate_; }
  int line() const noexcept { return line_; }  // 1-based; 0 when unknown

 private:
  std::string sqlstate_;
  int line_;
};

}  // namespace kemas::postgres
