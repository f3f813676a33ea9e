#include "adapters/postgres/errors.hpp"

#include "domain/enum_names.hpp"

#include "adapters/postgres/native.hpp"

#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>

#include <cctype>

namespace kemas::postgres {

std::string_view to_string(pg_error_kind kind) {
  static constexpr auto names =
      ordinal_table<pg_error_kind::other>({"connection", "timeout", "retryable", "unique_violation",
                                           "constraint_violation", "invalid_input", "other"});
  return name_of(names, kind, "other");
}

std::string sqlstate(const std::exception& error) {
  if (const auto* script = dynamic_cast<const pg_sql_error*>(&error))
    return script->sqlstate();
  if (const auto* pg = dynamic_cast<const soci::postgresql_soci_error*>(&error)) {
    std::string state = pg->sqlstate();
    // SOCI fills in five blanks when the server sent no code (lost connection); only a
    // real code counts.
    bool valid = state.size() == 5;
    for (char c : state)
      valid = valid && std::isalnum(static_cast<unsigned char>(c)) != 0;
    if (valid)
      return state;
  }
  return {};
}

pg_error_kind classify(const std::exception& error) noexcept {
  try {
    if (dynamic_cast<const pg_connection_error*>(&error) != nullptr) {
      return pg_error_kind::connection;
    }
    const std::string state = sqlstate(error);
    if (!state.empty()) {
      const std::string_view cls(state.data(), 2);
      if (cls == "08" || state == "57P01" || state == "57P02" || state == "57P03" ||
          state == "53300") {
        return pg_error_kind::connection;
      }
      if (state == "57014" || state == "55P03")
        return pg_error_kind::timeout;
      // 26000: a prepared statement the server no longer has, met inside a transaction
      // (prepared.hpp); the rerun prepares it again.
      if (state == "40001" || state == "40P01" || state == "26000")
        return pg_error_kind::retryable;
      if (state == "23505")
        return pg_error_kind::unique_violation;
      if (cls == "23")
        return pg_error_kind::constraint_violation;
      if (cls == "22")
        return pg_error_kind::invalid_input;
      return pg_error_kind::other;
    }
    if (const auto* soci_error = dynamic_cast<const soci::soci_error*>(&error)) {
      switch (soci_error->get_error_category()) {
        case soci::soci_error::connection_error:
          return pg_error_kind::connection;
        case soci::soci_error::constraint_violation:
          return pg_error_kind::constraint_violation;
        default:
          break;
      }
    }
  } catch (...) {
    // Classification must not throw from a catch site; an odd exception is just "other".
  }
  return pg_error_kind::other;
}

bool is_transient(pg_error_kind kind) noexcept {
  return kind == pg_error_kind::connection || kind == pg_error_kind::timeout ||
         kind == pg_error_kind::retryable;
}

std::string constraint_name(const std::exception& error) {
  // The server's wording is stable across versions: ... constraint "name" ...
  const std::string_view message = error.what();
  const std::string_view marker = "constraint \"";
  const auto start = message.find(marker);
  if (start == std::string_view::npos)
    return {};
  const auto begin = start + marker.size();
  const auto end = message.find('"', begin);
  if (end == std::string_view::npos)
    return {};
  return std::string(message.substr(begin, end - begin));
}

}  // namespace kemas::postgres
