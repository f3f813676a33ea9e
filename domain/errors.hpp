#pragma once
// Domain errors are values: every failure a client can cause (or must be told about) is one
// of these codes, returned through boost::system::result-like types at boundaries. The HTTP
// front end maps each to one status and a stable machine-readable code
// (app/server/error_response.hpp).

#include <string>
#include <string_view>
#include <system_error>

namespace kemas {

enum class errc {
  ok = 0,
  bad_request,        // malformed syntax (bad JSON, bad header)
  validation_failed,  // well-formed but a field is invalid
  unauthenticated,    // missing or invalid credentials
  forbidden,          // authenticated but not allowed
  not_found,          // no such resource (or not the caller's)
  method_not_allowed,
  conflict,           // e.g. e-mail or file name taken
  payload_too_large,  // body over the route's or plan's limit
  header_too_large,
  unsupported_media_type,
  quota_exceeded,  // the plan's storage is used up
  file_locked,     // file is over the free quota after a downgrade
  range_not_satisfiable,
  gone,            // existed, and no longer works (an expired, revoked or used-up share link)
  precondition_failed,  // a protocol precondition the client did not meet (Tus-Resumable)
  locked,               // another request holds the resource's lease (a tus upload's PATCH)
  checksum_mismatch,    // the body is not what the client's checksum says (tus: 460)
  rate_limited,
  request_timeout,      // client too slow
  backend_unavailable,  // PostgreSQL, Redis, RabbitMQ or S3 could not be reached
  internal,             // a bug: never expected
};

// Stable, documented identifier used in JSON error bodies ("validation_failed", ...).
std::string_view code_name(errc e) noexcept;

const std::error_category& kemas_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), kemas_category()};
}

}  // namespace kemas

template <>
struct std::is_error_code_enum<kemas::errc> : std::true_type {};
