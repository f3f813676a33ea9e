#include "domain/rate_limit.hpp"

#include <algorithm>

namespace kemas {

namespace {

struct normalised {
  std::uint64_t previous, current, elapsed, window;
};

normalised normalise(const window_counts& c) noexcept {
  const std::int64_t window = std::clamp<std::int64_t>(c.window_ms, 1, max_window_ms);
  const std::int64_t elapsed = std::clamp<std::int64_t>(c.elapsed_ms, 0, window - 1);
  return {std::min(c.previous, max_count), std::min(c.current, max_count),
          static_cast<std::uint64_t>(elapsed), static_cast<std::uint64_t>(window)};
}

// Time until floor(estimate) < limit, given that it is not so now. limit > 0.
std::uint64_t retry_after(const normalised& n, std::uint64_t limit) noexcept {
  const std::uint64_t left_in_window = n.window - n.elapsed;
  if (n.current < limit) {
    // The previous window carries the load; its weight shrinks as time passes. Wait until
    // previous * weight < (limit - current) * window, i.e. until the remaining weight is at
    // most floor(((limit - current) * window - 1) / previous). previous > 0 here, as
    // otherwise floor(estimate) = current < limit.
    const std::uint64_t max_weight = ((limit - n.current) * n.window - 1) / n.previous;
    return left_in_window - max_weight;  // >= 1 as the weight now is above max_weight
  }
  // The current window alone is at the limit: wait for it to become the previous window,
  // then until current * (window - e) < limit * window in the next one.
  const std::uint64_t max_weight = (limit * n.window - 1) / n.current;
  return left_in_window + (n.window - max_weight);
}

}  // namespace

limit_decision decide(const window_counts& counts, std::uint32_t limit) noexcept {
  const normalised n = normalise(counts);
  const std::uint64_t weighted = n.previous * (n.window - n.elapsed) / n.window;
  const std::uint64_t estimate = n.current + weighted;  // floor of the real estimate

  limit_decision d;
  d.limit = limit;
  d.reset_after_ms = static_cast<std::int64_t>(n.window - n.elapsed);
  d.allowed = estimate < limit;
  if (d.allowed) {
    d.remaining = static_cast<std::uint32_t>(limit - 1 - estimate);
  } else if (limit == 0) {
    d.retry_after_ms = static_cast<std::int64_t>(n.window);
  } else {
    d.retry_after_ms = static_cast<std::int64_t>(retry_after(n, limit));
  }
  return d;
}

}  // namespace kemas
