#include "domain/quota.hpp"

#include <algorithm>
#include <string>

namespace kemas {
namespace {

// used + incoming <= quota, without computing a sum that could wrap around.
bool fits(std::uint64_t used, std::uint64_t incoming, std::uint64_t quota) noexcept {
  return used <= quota && incoming <= quota - used;
}

}  // namespace

result<void> check_file_size(std::uint64_t size, std::uint64_t max_file_bytes) {
  if (size <= max_file_bytes) return {};
  return make_error(errc::payload_too_large,
                    "file is larger than the plan allows (" + std::to_string(max_file_bytes) + " bytes)", "file");
}

result<void> check_quota(std::uint64_t used, std::uint64_t incoming, std::uint64_t quota) {
  if (fits(used, incoming, quota)) return {};
  return make_error(errc::quota_exceeded,
                    "storage quota exceeded: " + std::to_string(remaining_quota(used, quota)) + " of " +
                        std::to_string(quota) + " bytes left",
                    "file");
}

std::uint64_t remaining_quota(std::uint64_t used, std::uint64_t quota) noexcept {
  return used >= quota ? 0 : quota - used;
}

error file_too_large_error(std::uint64_t max_file_bytes) {
  return make_error(errc::payload_too_large,
                    "the file exceeds your plan's maximum file size of " +
                        std::to_string(max_file_bytes) + " bytes",
                    "file");
}

error over_quota_error(std::uint64_t remaining_bytes) {
  return make_error(errc::quota_exceeded,
                    "the file does not fit in your remaining storage of " +
                        std::to_string(remaining_bytes) + " bytes",
                    "file");
}

lock_changes plan_locks(std::span<const quota_file> files, std::uint64_t quota) {
  std::vector<const quota_file*> order;
  order.reserve(files.size());
  for (const auto& f : files) order.push_back(&f);
  std::ranges::sort(order, [](const quota_file* a, const quota_file* b) {
    if (a->created_at != b->created_at) return a->created_at < b->created_at;
    return a->id < b->id;
  });

  lock_changes changes;
  std::uint64_t total = 0;  // of the files kept unlocked so far; always <= quota
  bool fitting = true;
  for (const quota_file* f : order) {
    if (fitting && fits(total, f->size, quota)) {
      total += f->size;
      if (f->locked) changes.to_unlock.push_back(f->id);
      continue;
    }
    fitting = false;
    if (!f->locked) changes.to_lock.push_back(f->id);
  }
  std::ranges::reverse(changes.to_lock);
  return changes;
}

}  // namespace kemas
