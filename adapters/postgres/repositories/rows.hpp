#pragma once
// Reading repository rows out of soci::row, and the few conversions every repository needs.
// Internal to adapters/postgres/repositories: include from .cpp files only (pulls in SOCI).
//
// Queries hand columns over in forms SOCI 4.0 maps without surprises: uuids as text
// (id::text), times as epoch milliseconds (bigint), booleans as int. A value that does not
// fit (a NULL where none may be, an unparsable uuid, an unknown role) means the schema and
// the code disagree: std::runtime_error naming the column.

#include "adapters/postgres/outbox.hpp"
#include "adapters/postgres/repositories/query.hpp"
#include "domain/account.hpp"
#include "domain/scope.hpp"
#include "domain/uuid.hpp"

#include <soci/soci.h>

#include <optional>
#include <string>
#include <string_view>

namespace kemas::postgres {
class prepared_rows;
}

namespace kemas::postgres::rows {

std::string text(const soci::row& row, std::size_t column);
long long int64(const soci::row& row, std::size_t column);
bool boolean(const soci::row& row, std::size_t column);
uuid id(const soci::row& row, std::size_t column);
kemas::role role(const soci::row& row, std::size_t column);
timestamp time(const soci::row& row, std::size_t column);
std::optional<timestamp> optional_time(const soci::row& row, std::size_t column);
// Comma-separated scope names (array_to_string(scopes, ',')); unknown names are skipped so
// a scope retired in a later version only narrows what an old key may do.
scope_set scopes_from(std::string_view names);

// The same readers for a prepared statement's answer (prepared.hpp), row `row`.
timestamp time(const prepared_rows& rows, int row, int column);
std::optional<timestamp> optional_time(const prepared_rows& rows, int row, int column);
std::optional<std::int64_t> optional_int64(const prepared_rows& rows, int row, int column);
kemas::role role(const prepared_rows& rows, int row, int column);

// The forms queries take parameters in (a soci::use binding or a prepared statement's text).
std::string scopes_param(scope_set scopes);  // "files:read,files:write" for string_to_array
long long epoch_ms(timestamp time);

// `draft` with its subject defaulted: type when empty, id when empty.
model::event_draft with_subject(model::event_draft draft, std::string_view type, const std::string& id);

}  // namespace kemas::postgres::rows
