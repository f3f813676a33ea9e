#pragma once
// sweep_slots: how several scheduler roles agree that one of them publishes the expire-sweep
// of an interval (issue 5 "Sweep as safety net"). The claim is a row keyed by the slot; the
// publish happens while the claim is still uncommitted, so a competitor's claim waits for
// it and sees the row only if the sweep is really out. Implemented by
// adapters/postgres/sweep_slots. Blocking: the scheduler role's own thread.

#include <cstdint>
#include <functional>
#include <string>

namespace kemas::ports {

enum class slot_claim {
  published,  // ours: `publish` said it is out, the claim is committed (old claims pruned)
  taken,      // another scheduler had it: `publish` was not called
  failed,     // `publish` failed or the database did: the claim is rolled back, try again
};

class sweep_slots {
 public:
  virtual ~sweep_slots() = default;
  // `publish` runs inside the claim's transaction; true when the broker confirmed.
  virtual slot_claim claim(std::int64_t slot, const std::string& claimed_by,
                           const std::function<bool()>& publish) = 0;
};

}  // namespace kemas::ports
