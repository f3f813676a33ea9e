#pragma once
// upload_slots: what running uploads may hold in one api process. Each upload takes a lease
// before its body is read: one of its account's upload.max_per_user slots and its worst-case
// buffer memory out of upload.buffer_budget. A slow or stalled client therefore holds at most
// its own lease, and however many there are, buffers stay within the budget.
//
// Thread-safe (one mutex over a map of at most as many entries as uploads running).

#include <cstdint>
#include <mutex>
#include <map>

#include "domain/result.hpp"
#include "domain/uuid.hpp"

namespace kemas::app {

class upload_slots {
 public:
  upload_slots(unsigned per_user, std::uint64_t budget_bytes)
      : per_user_(per_user), budget_(budget_bytes) {}

  // Released when destroyed. Movable, not copyable.
  class lease {
   public:
    lease() = default;
    lease(lease&& other) noexcept;
    lease& operator=(lease&& other) noexcept;
    lease(const lease&) = delete;
    lease& operator=(const lease&) = delete;
    ~lease() { release(); }

   private:
    friend class upload_slots;
    lease(upload_slots* owner, uuid user, std::uint64_t bytes)
        : owner_(owner), user_(user), bytes_(bytes) {}
    void release() noexcept;
    upload_slots* owner_ = nullptr;
    uuid user_;
    std::uint64_t bytes_ = 0;
  };

  // rate_limited (Retry-After 5 s) when the account has per_user uploads running;
  // backend_unavailable (Retry-After 5 s) when `buffer_bytes` does not fit the budget.
  result<lease> acquire(const uuid& user, std::uint64_t buffer_bytes);

  std::uint64_t bytes_in_use() const;

 private:
  void give_back(const uuid& user, std::uint64_t bytes) noexcept;

  const unsigned per_user_;
  const std::uint64_t budget_;
  mutable std::mutex mutex_;
  std::map<uuid, unsigned> running_;     // only accounts with uploads running
  std::uint64_t in_use_ = 0;
};

}  // namespace kemas::app
