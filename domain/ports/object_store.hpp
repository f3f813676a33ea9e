#pragma once
// object_store: the bucket as the worker handlers see it — store a small body, ask an
// object's size, remove an object. Blocking calls for handler threads (never an I/O thread).
// Implemented by adapters/s3 (s3_object_store) and, for unit tests, in memory
// (test/support/memory_ports.hpp).
//
// Faults are values: `transient` means trying again later may succeed (connection, 5xx,
// throttling); a missing key is `not_found`; anything else is `permanent`.
// Implementations are shared by every handler thread: thread-safe.

#include <boost/system/result.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace kemas::ports {

struct object_fault {
  enum class kind { not_found, transient, permanent };
  kind what = kind::permanent;
  std::string detail;  // for logs and retry reasons

  bool transient() const noexcept { return what == kind::transient; }
  bool not_found() const noexcept { return what == kind::not_found; }
};

template <class T>
using object_result = boost::system::result<T, object_fault>;

class object_store {
 public:
  virtual ~object_store() = default;

  virtual object_result<void> put(const std::string& key, std::string_view bytes,
                                  const std::string& content_type) = 0;
  // The object's size in bytes; not_found when there is none.
  virtual object_result<std::uint64_t> size_of(const std::string& key) = 0;
  // Idempotent: removing a missing key succeeds.
  virtual object_result<void> remove(const std::string& key) = 0;
};

// Lets object_result<T>::value() throw (std::runtime_error with the detail).
[[noreturn]] void throw_exception_from_error(const object_fault& fault,
                                             const boost::source_location& location);

}  // namespace kemas::ports
