#pragma once
// result<T>: a value or a kemas::error. Used wherever a failure depends on input or on a
// backend's answer; exceptions are kept for bugs and lost infrastructure.

#include <boost/assert/source_location.hpp>
#include <boost/system/result.hpp>

#include <cstdint>
#include <iosfwd>
#include <stdexcept>
#include <string>
#include <utility>

#include "domain/errors.hpp"

namespace kemas {

struct error {
  errc code = errc::internal;
  std::string message;              // safe to show to the client
  std::string field;                // for validation_failed: the offending field, else empty
  std::int64_t retry_after_ms = 0;  // for rate_limited / backend_unavailable: when to retry

  friend bool operator==(const error&, const error&) = default;
};

// For test frameworks and logs: "validation_failed(password): too short".
std::ostream& operator<<(std::ostream& out, const error& e);

inline error make_error(errc code, std::string message, std::string field = {}) {
  return error{code, std::move(message), std::move(field)};
}

// Thrown by result<T>::value() on an error; carries the error for the boundary to map.
class error_exception : public std::runtime_error {
 public:
  explicit error_exception(error e) : std::runtime_error(e.message), error_(std::move(e)) {}
  const kemas::error& err() const noexcept { return error_; }

 private:
  kemas::error error_;
};

[[noreturn]] inline void throw_exception_from_error(const error& e, const boost::source_location&) {
  throw error_exception(e);
}

template <class T>
using result = boost::system::result<T, error>;

}  // namespace kemas

namespace kemas {

// Thrown by adapters when a backend (PostgreSQL, Redis, RabbitMQ, S3) cannot be reached or
// fails in a way the request cannot recover from; the HTTP boundary answers 503.
class backend_unavailable : public std::runtime_error {
 public:
  backend_unavailable(std::string backend, const std::string& detail)
      : std::runtime_error(backend + ": " + detail), backend_(std::move(backend)) {}
  const std::string& backend() const noexcept { return backend_; }

 private:
  std::string backend_;
};

}  // namespace kemas
