#pragma once
// Reconnect delays: doubling from `min` up to `max`, each drawn from [d/2, d] so that many
// processes losing the same broker do not reconnect in lockstep.

#include <algorithm>
#include <chrono>
#include <random>

namespace kemas::amqp {

class backoff {
 public:
  backoff(std::chrono::milliseconds min, std::chrono::milliseconds max)
      : min_(std::max(min, std::chrono::milliseconds(1))),
        max_(std::max(max, min_)),
        current_(min_),
        random_(std::random_device{}()) {}

  std::chrono::milliseconds next() {
    const auto ceiling = current_;
    current_ = std::min(current_ * 2, max_);
    std::uniform_int_distribution<long long> pick(ceiling.count() / 2, ceiling.count());
    return std::chrono::milliseconds(pick(random_));
  }

  void reset() noexcept { current_ = min_; }

 private:
  std::chrono::milliseconds min_;
  std::chrono::milliseconds max_;
  std::chrono::milliseconds current_;
  std::minstd_rand random_;
};

}  // namespace kemas::amqp
