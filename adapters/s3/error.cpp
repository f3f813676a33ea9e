#include "adapters/s3/error.hpp"

#include "domain/enum_names.hpp"

#include <utility>

namespace kemas::s3 {

std::string_view to_string(s3_errc kind) noexcept {
  static constexpr auto names = ordinal_table<s3_errc::protocol>(
      {"not_found", "access_denied", "precondition", "invalid_range", "conflict", "invalid",
       "unsupported", "transient", "aborted", "protocol"});
  return name_of(names, kind);
}

std::string s3_error::describe() const {
  std::string out(to_string(kind));
  out += ": ";
  if (http_status != 0) {
    out += std::to_string(http_status);
    out += ' ';
  }
  out += code;
  if (!message.empty()) {
    out += ": ";
    out += message;
  }
  return out;
}

s3_exception::s3_exception(s3_error error)
    : std::runtime_error(error.describe()), error_(std::move(error)) {}

s3_errc classify_http(int http_status, std::string_view code) noexcept {
  // Codes first: AWS answers some throttling and timeouts with 400/403/503 alike.
  if (code == "SlowDown" || code == "RequestTimeout" || code == "InternalError" ||
      code == "ServiceUnavailable" || code == "OperationAborted") {
    return s3_errc::transient;
  }
  if (code == "NoSuchKey" || code == "NoSuchBucket" || code == "NoSuchUpload") {
    return s3_errc::not_found;
  }
  switch (http_status) {
    case 401:
    case 403:
      return s3_errc::access_denied;
    case 404:
      return s3_errc::not_found;
    case 405:
    case 501:
      return s3_errc::unsupported;
    case 408:
    case 429:
      return s3_errc::transient;
    case 409:
      return s3_errc::conflict;
    case 412:
      return s3_errc::precondition;
    case 416:
      return s3_errc::invalid_range;
    default:
      break;
  }
  if (http_status >= 500)
    return s3_errc::transient;
  // Other 4xx, and 3xx: a redirect means a wrong endpoint or region in our settings.
  if (http_status >= 300)
    return s3_errc::invalid;
  return s3_errc::protocol;  // no final status where a result was expected
}

void throw_exception_from_error(const s3_error& error, const boost::source_location&) {
  throw s3_exception(error);
}

}  // namespace kemas::s3
