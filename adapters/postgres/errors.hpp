#pragma once
// What went wrong in a PostgreSQL call, in the terms callers act on:
//  - connection / timeout / retryable: infrastructure; answer 503 or retry the command later;
//  - unique_violation: someone else holds that value (email taken) → 409 conflict;
//  - constraint_violation / invalid_input: the request asked for something the data model
//    forbids → 4xx, or a bug in our validation;
//  - other: a bug (bad SQL, missing table) → 500.
// Works on any exception so a catch site can classify without knowing about SOCI.

#include <stdexcept>
#include <string>
#include <string_view>

namespace kemas::postgres {

// Thrown by pg_pool when it cannot reach the server: connecting failed, the connection
// was lost during the call, or the pool is stopped. Always classified as `connection`.
class pg_connection_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class pg_error_kind {
  connection,            // SQLSTATE class 08, 57P01-57P03, 53300, or pg_connection_error
  timeout,               // 57014 statement timeout / cancel, 55P03 lock_not_available
  retryable,             // 40001 serialization failure, 40P01 deadlock, 26000 prepared
                         // statement gone (prepared.hpp): rerun the transaction
  unique_violation,      // 23505
  constraint_violation,  // other class 23: foreign key, check, not null, exclusion
  invalid_input,         // class 22: bad value for the column type, out of range, ...
  other,
};

std::string_view to_string(pg_error_kind kind);

// Never throws.
pg_error_kind classify(const std::exception& error) noexcept;

// True for connection, timeout and retryable: the same call may succeed later.
bool is_transient(pg_error_kind kind) noexcept;

// SQLSTATE of a PostgreSQL error ("23505"), or "" when the exception carries none.
std::string sqlstate(const std::exception& error);

// Name of the violated constraint or index for class 23 errors
// (`users_email_lower_key`), parsed from the server's message; "" if absent.
std::string constraint_name(const std::exception& error);

}  // namespace kemas::postgres
