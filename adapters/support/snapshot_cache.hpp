#pragma once
// snapshot_cache: the last answer of something costly that anonymous callers may ask for
// (readiness probes, the public plan catalog), kept for `max_age`, with at most one refresh
// in flight. So however many requests arrive, the backends see at most one round per
// max_age: callers that find the snapshot stale while another refreshes it get the stale
// one (or nothing, before the first answer) instead of starting a round of their own.
//
//   if (auto v = cache.fresh()) use *v;
//   else if (cache.begin_refresh()) { auto v = compute(); cache.store(v); }  // abandon() on error
//   else if (auto v = cache.latest()) use *v; else answer "not known yet";
//
// Thread-safe (one mutex; T is copied out under it, so keep T small or shared).

#include <chrono>
#include <mutex>
#include <optional>
#include <utility>

namespace kemas::support {

template <class T>
class snapshot_cache {
 public:
  using clock = std::chrono::steady_clock;

  explicit snapshot_cache(clock::duration max_age) : max_age_(max_age) {}

  // The snapshot if it is younger than max_age.
  std::optional<T> fresh() const {
    std::lock_guard lock(mutex_);
    if (value_ && taken_ && clock::now() - *taken_ < max_age_)
      return value_;
    return std::nullopt;
  }
  // The snapshot whatever its age (nullopt before the first store).
  std::optional<T> latest() const {
    std::lock_guard lock(mutex_);
    return value_;
  }
  // True when the caller is now the one refresher: it must call store() or abandon().
  bool begin_refresh() {
    std::lock_guard lock(mutex_);
    if (refreshing_)
      return false;
    refreshing_ = true;
    return true;
  }
  void store(T value) {
    std::lock_guard lock(mutex_);
    value_ = std::move(value);
    taken_ = clock::now();
    refreshing_ = false;
  }
  void abandon() {
    std::lock_guard lock(mutex_);
    refreshing_ = false;
  }
  // Makes the snapshot stale (after a change this process made itself).
  void invalidate() {
    std::lock_guard lock(mutex_);
    taken_.reset();
  }

 private:
  const clock::duration max_age_;
  mutable std::mutex mutex_;
  std::optional<T> value_;
  std::optional<clock::time_point> taken_;  // none: never stored, or invalidated
  bool refreshing_ = false;
};

}  // namespace kemas::support
