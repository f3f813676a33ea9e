#include "app/services/upload_slots.hpp"

#include <utility>

namespace kemas::app {

upload_slots::lease::lease(lease&& other) noexcept
    : owner_(std::exchange(other.owner_, nullptr)), user_(other.user_), bytes_(other.bytes_) {}

upload_slots::lease& upload_slots::lease::operator=(lease&& other) noexcept {
  if (this != &other) {
    release();
    owner_ = std::exchange(other.owner_, nullptr);
    user_ = other.user_;
    bytes_ = other.bytes_;
  }
  return *this;
}

void upload_slots::lease::release() noexcept {
  if (owner_ != nullptr)
    std::exchange(owner_, nullptr)->give_back(user_, bytes_);
}

result<upload_slots::lease> upload_slots::acquire(const uuid& user, std::uint64_t buffer_bytes) {
  std::lock_guard lock(mutex_);
  auto running = running_.find(user);
  if (running != running_.end() && running->second >= per_user_) {
    auto busy = make_error(errc::rate_limited, "this account has " + std::to_string(per_user_) +
                                                   " uploads running; finish one first");
    busy.retry_after_ms = 5000;
    return busy;
  }
  if (buffer_bytes > budget_ - std::min(in_use_, budget_)) {
    auto full = make_error(errc::backend_unavailable,
                           "the server has too many uploads in progress; try again shortly");
    full.retry_after_ms = 5000;
    return full;
  }
  in_use_ += buffer_bytes;
  ++running_[user];
  return lease(this, user, buffer_bytes);
}

void upload_slots::give_back(const uuid& user, std::uint64_t bytes) noexcept {
  std::lock_guard lock(mutex_);
  in_use_ -= std::min(in_use_, bytes);
  auto running = running_.find(user);
  if (running != running_.end() && --running->second == 0)
    running_.erase(running);
}

std::uint64_t upload_slots::bytes_in_use() const {
  std::lock_guard lock(mutex_);
  return in_use_;
}

}  // namespace kemas::app
