#pragma once
// S3 call outcomes as values. Every s3_client call returns s3_result<T>: the value, or an
// s3_error saying what went wrong and whether trying again later can help (transient()).
// Exceptions are left for the caller's own callbacks (a reader or sink that throws) and for
// programming errors (calling .value() on an error throws s3_exception).

#include <boost/system/result.hpp>

#include <stdexcept>
#include <string>
#include <string_view>

namespace kemas::s3 {

enum class s3_errc {
  not_found,      // 404: no such key / bucket / upload
  access_denied,  // 401/403: wrong key or secret, signature mismatch, policy
  precondition,   // 412 (If-Match and friends)
  invalid_range,  // 416: the range lies outside the object
  conflict,       // 409: bucket exists elsewhere, concurrent multipart change
  invalid,        // other 4xx; 3xx (wrong endpoint/region); a caller error (short body)
  unsupported,    // 405/501: the server does not implement this call (s3rver: abort, ListParts)
  transient,      // connect/timeout/reset, 5xx, 429, 408, SlowDown: retrying may succeed
  aborted,        // the caller's sink or head callback asked to stop
  protocol,       // the server answered something this client cannot read
};

std::string_view to_string(s3_errc kind) noexcept;

struct s3_error {
  s3_errc kind = s3_errc::protocol;
  int http_status = 0;  // 0 when no HTTP answer arrived (connection refused, timeout)
  std::string code;     // S3 error code (NoSuchKey, SignatureDoesNotMatch, ...) or curl's
  std::string message;  // human readable, for logs

  bool transient() const noexcept { return kind == s3_errc::transient; }
  bool not_found() const noexcept { return kind == s3_errc::not_found; }
  // "transient: 503 SlowDown: Please reduce your request rate." — for logs.
  std::string describe() const;
};

// Thrown only by s3_result<T>::value() on an error.
class s3_exception : public std::runtime_error {
 public:
  explicit s3_exception(s3_error error);
  const s3_error& error() const noexcept { return error_; }

 private:
  s3_error error_;
};

template <class T>
using s3_result = boost::system::result<T, s3_error>;

// Classifies an HTTP answer (status and S3 error code from its XML body, if any).
s3_errc classify_http(int http_status, std::string_view code) noexcept;

// Found by boost::system::result through ADL.
[[noreturn]] void throw_exception_from_error(const s3_error& error,
                                             const boost::source_location& location);

}  // namespace kemas::s3
