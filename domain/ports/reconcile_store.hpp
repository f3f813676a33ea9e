#pragma once
// reconcile_store: what the reconciler (workers/reconciler.hpp) asks the database while it
// compares the bucket with the files table. Blocking; one transaction per call. Implemented
// by adapters/postgres (reconcile_store) and in memory for unit tests. Transient faults throw
// kemas::backend_unavailable.

#include <chrono>
#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace kemas::ports {

class reconcile_store {
 public:
  virtual ~reconcile_store() = default;

  // Of `keys`, those the database accounts for: a live file's object, or an object with a
  // scheduled removal or an api's claim (object_cleanup).
  virtual std::set<std::string> accounted(const std::vector<std::string>& keys) = 0;

  // Object keys of live files in (after, up_to] in byte order (up_to nullopt: to the end),
  // at most `limit`, in order.
  virtual std::vector<std::string> live_keys(const std::string& after,
                                             const std::optional<std::string>& up_to,
                                             std::size_t limit) = 0;

  // Schedules each object's removal `delay` from now (object_cleanup), unless one is already
  // scheduled; the object cleaner removes it then, and drops the removal if a live file took
  // the object meanwhile. Returns how many were newly scheduled.
  virtual std::size_t quarantine(const std::vector<std::string>& keys,
                                 std::chrono::milliseconds delay) = 0;
};

}  // namespace kemas::ports
