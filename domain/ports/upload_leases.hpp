#pragma once
// upload_leases: who may write a tus upload right now (issue 17: no sticky sessions). A PATCH
// on any api instance takes the upload's lease before it reads its body and renews it while
// bytes arrive; a PATCH whose client stalls stops renewing, the lease lapses after its ttl,
// and the next PATCH takes over. Mutual exclusion only: correctness against a stalled
// holder that wakes up comes from the fencing token in tus_store. Implemented by
// adapters/redis (redis_upload_leases) and in memory for unit tests.

#include <chrono>
#include <optional>
#include <string>

#include "domain/ports/async.hpp"
#include "domain/result.hpp"
#include "domain/uuid.hpp"

namespace kemas::ports {

struct lease_grant {
  std::optional<std::string> holder;  // set when taken: the value renew/release must name
  std::chrono::milliseconds held_for{0};  // not taken: how long the current holder keeps it
};

class upload_leases {
 public:
  virtual ~upload_leases() = default;
  // backend_unavailable errors when the store cannot be reached.
  virtual async<result<lease_grant>> acquire(uuid upload_id, std::chrono::milliseconds ttl) = 0;
  // False when the lease lapsed or someone else holds it now.
  virtual async<result<bool>> renew(uuid upload_id, std::string holder,
                                    std::chrono::milliseconds ttl) = 0;
  // Best effort: a lease not released lapses by its ttl.
  virtual async<void> release(uuid upload_id, std::string holder) = 0;
};

}  // namespace kemas::ports
