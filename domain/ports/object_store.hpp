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

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "domain/model/tus_upload.hpp"

namespace kemas::ports {

struct object_fault {
  enum class kind { not_found, transient, permanent };
  kind what = kind::permanent;
  std::string detail;  // for logs and retry reasons

  bool transient() const noexcept { return what == kind::transient; }
  bool not_found() const noexcept { return what == kind::not_found; }
};

// One page of a listing (what the reconciler compares with the files table).
struct listed_object {
  std::string key;
  std::uint64_t size = 0;
  std::chrono::system_clock::time_point modified;
};
struct object_listing {
  std::vector<listed_object> objects;  // in byte order of the key
  std::optional<std::string> next;     // continuation token while more pages follow
};

template <class T>
using object_result = boost::system::result<T, object_fault>;

// One small body to store (put_all).
struct object_put {
  const std::string* key = nullptr;
  std::string_view bytes;
  const std::string* content_type = nullptr;
};

class object_store {
 public:
  virtual ~object_store() = default;

  virtual object_result<void> put(const std::string& key, std::string_view bytes,
                                  const std::string& content_type) = 0;
  // Several puts at once, result i put i's: an implementation may run them concurrently
  // (s3_object_store does, on one thread), so a group costs about one PUT's time. The
  // default runs them one after another.
  virtual std::vector<object_result<void>> put_all(std::span<const object_put> puts) {
    std::vector<object_result<void>> out;
    out.reserve(puts.size());
    for (const auto& one : puts)
      out.push_back(put(*one.key, one.bytes, *one.content_type));
    return out;
  }
  // The object's size in bytes; not_found when there is none.
  virtual object_result<std::uint64_t> size_of(const std::string& key) = 0;
  // Idempotent: removing a missing key succeeds.
  virtual object_result<void> remove(const std::string& key) = 0;

  // Aborts a multipart upload, freeing its parts. Idempotent: an unknown id is not_found.
  // A store that cannot abort (s3rver answers 405) gives a permanent fault.
  virtual object_result<void> abort_multipart(const std::string& key,
                                              const std::string& multipart_upload_id) = 0;

  // Frees a multipart upload whose parts the caller recorded (a tus upload): aborts it, or on
  // a store that cannot abort, completes it with `parts` and removes the object. Idempotent.
  virtual object_result<void> discard_multipart(const std::string& key,
                                                const std::string& multipart_upload_id,
                                                const std::vector<model::tus_part>& parts) = 0;

  // Up to `max_keys` (1..1000) objects whose key starts with `prefix`, after the page that
  // gave `continuation` ("" for the first page).
  virtual object_result<object_listing> list(const std::string& prefix,
                                             const std::string& continuation,
                                             unsigned max_keys) = 0;
};

// Lets object_result<T>::value() throw (std::runtime_error with the detail).
[[noreturn]] void throw_exception_from_error(const object_fault& fault,
                                             const boost::source_location& location);

}  // namespace kemas::ports
