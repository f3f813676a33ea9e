#include "adapters/postgres/repositories/rows.hpp"

#include "adapters/postgres/prepared.hpp"

#include "adapters/postgres/errors.hpp"
#include "domain/errors.hpp"

#include <stdexcept>

namespace kemas::postgres {

void rethrow_as_backend_error(const std::exception& error) {
  const auto kind = classify(error);
  if (is_transient(kind))
    throw backend_unavailable("postgres", error.what());
  // A data error (class 22: out of range, not valid text) comes from a value the request
  // carried that validation let through: the client's mistake, answered 400, never 500.
  if (kind == pg_error_kind::invalid_input) {
    throw error_exception(make_error(errc::validation_failed,
                                     "a value in the request is out of range or not valid"));
  }
  throw;
}

namespace rows {
namespace {

[[noreturn]] void bad_column(const soci::row& row, std::size_t column, std::string_view why) {
  throw std::runtime_error("column " + std::to_string(column) + " (" +
                           row.get_properties(column).get_name() + "): " + std::string(why));
}

void require_value(const soci::row& row, std::size_t column) {
  if (row.get_indicator(column) != soci::i_ok)
    bad_column(row, column, "unexpected NULL");
}

}  // namespace

std::string text(const soci::row& row, std::size_t column) {
  require_value(row, column);
  return row.get<std::string>(column);
}

long long int64(const soci::row& row, std::size_t column) {
  require_value(row, column);
  switch (row.get_properties(column).get_data_type()) {
    case soci::dt_long_long:
      return row.get<long long>(column);
    case soci::dt_integer:
      return row.get<int>(column);
    case soci::dt_unsigned_long_long:
      return static_cast<long long>(row.get<unsigned long long>(column));
    default:
      bad_column(row, column, "not an integer");
  }
}

bool boolean(const soci::row& row, std::size_t column) {
  return int64(row, column) != 0;
}

uuid id(const soci::row& row, std::size_t column) {
  const auto parsed = uuid::parse(text(row, column));
  if (!parsed)
    bad_column(row, column, "not a uuid");
  return *parsed;
}

kemas::role role(const soci::row& row, std::size_t column) {
  const auto parsed = parse_role(text(row, column));
  if (!parsed)
    bad_column(row, column, "unknown role");
  return *parsed;
}

timestamp time(const soci::row& row, std::size_t column) {
  return timestamp(std::chrono::milliseconds(int64(row, column)));
}

std::optional<timestamp> optional_time(const soci::row& row, std::size_t column) {
  if (row.get_indicator(column) == soci::i_null)
    return std::nullopt;
  return time(row, column);
}

scope_set scopes_from(std::string_view names) {
  scope_set out;
  std::string_view rest = names;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    if (const auto s = parse_scope(rest.substr(0, comma)))
      out.add(*s);
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
  }
  return out;
}

timestamp time(const prepared_rows& rows, int row, int column) {
  return timestamp(std::chrono::milliseconds(rows.int64(row, column)));
}

std::optional<timestamp> optional_time(const prepared_rows& rows, int row, int column) {
  if (rows.is_null(row, column))
    return std::nullopt;
  return time(rows, row, column);
}

std::optional<std::int64_t> optional_int64(const prepared_rows& rows, int row, int column) {
  if (rows.is_null(row, column))
    return std::nullopt;
  return rows.int64(row, column);
}

kemas::role role(const prepared_rows& rows, int row, int column) {
  const std::string name = rows.text(row, column);
  const auto parsed = parse_role(name);
  if (!parsed)
    throw std::runtime_error("column " + std::to_string(column) + ": unknown role '" + name + "'");
  return *parsed;
}

std::string scopes_param(scope_set scopes) {
  std::string out;
  for (const auto& name : scopes.names()) {
    if (!out.empty())
      out += ',';
    out += name;
  }
  return out;
}

long long epoch_ms(timestamp time) {
  return time.time_since_epoch().count();
}

model::event_draft with_subject(model::event_draft draft, std::string_view type, const std::string& id) {
  if (draft.subject_type.empty())
    draft.subject_type = type;
  if (draft.subject_id.empty())
    draft.subject_id = id;
  return draft;
}

}  // namespace rows
}  // namespace kemas::postgres
