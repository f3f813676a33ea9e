#pragma once
// Storage rules for uploads and plan changes (DESIGN.md "Data"; steps 3 and 4). Pure
// decisions on numbers the caller read: the database's conditional UPDATE is what makes a
// quota exact under concurrency, these functions only say what the answer should be.
//
// All sizes are bytes. No sum is computed that could wrap around: any value is safe.

#include <cstdint>
#include <span>
#include <vector>

#include "domain/result.hpp"
#include "domain/rfc3339.hpp"
#include "domain/uuid.hpp"

namespace kemas {

// size > max_file_bytes -> payload_too_large (field "file"). A size equal to the limit is fine.
result<void> check_file_size(std::uint64_t size, std::uint64_t max_file_bytes);

// used + incoming > quota -> quota_exceeded (field "file"). The same inequality as the
// worker's conditional UPDATE (used_bytes + $n <= $quota), so the early check and the one
// that counts agree: an account over its quota (after a downgrade) cannot store even an
// empty file until it frees space.
result<void> check_quota(std::uint64_t used, std::uint64_t incoming, std::uint64_t quota);

// What is left: quota - used, or 0 when used >= quota.
std::uint64_t remaining_quota(std::uint64_t used, std::uint64_t quota) noexcept;

// The errors of a body cut off while it arrives (a plain upload, a tus PATCH), naming the
// limit it passed: payload_too_large / quota_exceeded, field "file".
error file_too_large_error(std::uint64_t max_file_bytes);
error over_quota_error(std::uint64_t remaining_bytes);

// One of an owner's stored (not deleted) files, as the lock policy sees it.
struct quota_file {
  uuid id;
  std::uint64_t size = 0;
  timestamp created_at{};
  bool locked = false;
};

struct lock_changes {
  std::vector<uuid> to_lock;    // active now, must be locked; newest first
  std::vector<uuid> to_unlock;  // locked now, fit again; oldest first

  friend bool operator==(const lock_changes&, const lock_changes&) = default;
};

// Which files to lock so that the unlocked ones fit in `quota` (plan expired or shrank),
// and which locked ones to unlock (plan grew again). The rule is "lock the newest first":
// files are taken oldest to newest (ties by id, so the answer is deterministic) and stay
// unlocked while their running total fits; from the first file that does not fit, that
// file and every newer one are locked -- even a small newer file that would fit on its
// own, so the rule is easy to explain to the user ("your newest uploads were locked").
// The result depends only on sizes, dates and ids, not on the current lock states, so
// applying it twice changes nothing (idempotent `expire` commands).
lock_changes plan_locks(std::span<const quota_file> files, std::uint64_t quota);

}  // namespace kemas
