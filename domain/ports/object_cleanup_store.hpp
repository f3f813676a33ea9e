#pragma once
// object_cleanup_store: the database side of the object cleaner (workers/object_cleaner.hpp),
// over object_cleanup (0006_object_cleanup.sql). Every call is ONE transaction and blocks
// (the cleaner's own thread). Implemented by adapters/postgres (object_cleanup_store) and in
// memory for unit tests. Transient faults throw kemas::backend_unavailable.

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace kemas::ports {

// One object the bucket must lose.
struct object_removal {
  std::string object_key;
  std::optional<std::string> multipart_upload_id;  // abort it first
  int attempts = 0;                                // earlier tries that failed
};

struct cleanup_claim {
  std::vector<object_removal> due;  // leased to this cleaner, oldest due first
  std::size_t abandoned = 0;        // pending uploads rejected as abandoned
  std::size_t kept = 0;             // removals dropped: a live file references the object
};

struct cleanup_policy {
  std::size_t batch = 500;                              // removals per claim
  std::chrono::milliseconds abandon_after{7'200'000};   // upload.abandon_after
  std::chrono::milliseconds retry{10'000};              // lease, doubling per attempt, <= 1 h
};

class object_cleanup_store {
 public:
  virtual ~object_cleanup_store() = default;

  // Rejects uploads pending longer than abandon_after (reason abandoned, one upload.rejected
  // event each), drops due removals whose object a live file references, and leases up to
  // `batch` due removals: they come due again after retry x 2^attempts unless finished.
  // Rows locked by a commit in progress are skipped, never waited for.
  virtual cleanup_claim claim(const cleanup_policy& policy) = 0;

  // Forgets the removals done; records the error of those that failed (due again when their
  // lease ends).
  virtual void finish(const std::vector<std::string>& removed,
                      const std::vector<std::pair<std::string, std::string>>& failed) = 0;
};

}  // namespace kemas::ports
