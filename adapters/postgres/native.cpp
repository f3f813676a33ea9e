#include "adapters/postgres/native.hpp"

#include "adapters/log/logging.hpp"

#include <cstdlib>
#include <memory>
#include <string_view>

namespace kemas::postgres {
namespace {

void log_notice(void*, const PGresult* result) {
  const char* severity = PQresultErrorField(result, PG_DIAG_SEVERITY_NONLOCALIZED);
  const char* text = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
  const std::string_view level = severity != nullptr ? severity : "NOTICE";
  const std::string_view message = text != nullptr ? text : "";
  if (level == "WARNING" || level == "FATAL" || level == "PANIC" || level == "ERROR") {
    log::warn("postgres notice", {{"severity", level}, {"message", message}});
  } else {
    log::debug("postgres notice", {{"severity", level}, {"message", message}});
  }
}

// PG_DIAG_STATEMENT_POSITION counts characters from 1; turn it into a line number.
int line_of(const std::string& sql, const char* position) {
  if (position == nullptr)
    return 0;
  long remaining = std::strtol(position, nullptr, 10);
  int line = 1;
  for (char c : sql) {
    // UTF-8 continuation bytes do not start a character.
    if ((static_cast<unsigned char>(c) & 0xC0) == 0x80)
      continue;
    if (--remaining <= 0)
      break;
    if (c == '\n')
      ++line;
  }
  return line;
}

}  // namespace

PGconn* native_handle(soci::session& session) noexcept {
  // libsoci_postgresql exports neither the backend's typeinfo nor its constructor, so no
  // dynamic_cast: check the backend's name (a virtual call), then static_cast, which needs
  // only the class layout from the header.
  auto* backend = session.get_backend();
  if (backend == nullptr || backend->get_backend_name() != "postgresql")
    return nullptr;
  return static_cast<soci::postgresql_session_backend*>(backend)->conn_;
}

PGconn* connect_with(const std::vector<std::pair<std::string, std::string>>& parameters) {
  std::vector<const char*> keys;
  std::vector<const char*> values;
  for (const auto& [key, value] : parameters) {
    keys.push_back(key.c_str());
    values.push_back(value.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  return PQconnectdbParams(keys.data(), values.data(), 0);
}

void install_notice_logger(PGconn* conn) noexcept {
  if (conn != nullptr)
    PQsetNoticeReceiver(conn, &log_notice, nullptr);
}

void exec_script(PGconn* conn, const std::string& sql) {
  std::unique_ptr<PGresult, decltype(&PQclear)> result(PQexec(conn, sql.c_str()), &PQclear);
  const auto status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY) {
    return;
  }
  if (!result)
    throw pg_sql_error(PQerrorMessage(conn), {}, 0);
  std::string message = PQresultErrorMessage(result.get());
  while (!message.empty() && message.back() == '\n')
    message.pop_back();
  const char* state = PQresultErrorField(result.get(), PG_DIAG_SQLSTATE);
  throw pg_sql_error(message, state != nullptr ? state : "",
                     line_of(sql, PQresultErrorField(result.get(), PG_DIAG_STATEMENT_POSITION)));
}

}  // namespace kemas::postgres
