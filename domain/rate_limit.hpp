#pragma once
// Sliding-window rate limiting, the pure arithmetic (DESIGN.md "Redis"; step 2 contract).
//
// The window is approximated from two fixed windows of `window_ms`: the count of the
// previous window, weighted by how much of it still overlaps the sliding window, plus the
// count of the current one:
//
//   estimate = previous * (window_ms - elapsed_ms) / window_ms + current
//
// A request is allowed when floor(estimate) < limit; only allowed requests are counted
// (current += 1 afterwards, by the caller). The Redis script in
// adapters/redis/auth/request_gate.cpp applies exactly this formula, in the same integer
// steps, to counters it reads with the server's clock (redis TIME); tests compare the two.
//
// All arithmetic is integral and exact. Inputs are normalised rather than rejected:
// window_ms is clamped to [1, max_window_ms], elapsed_ms to [0, window_ms), the counts to
// [0, max_count]. Within those bounds no intermediate product reaches 2^63.

#include <cstdint>

namespace kemas {

struct window_counts {
  std::uint64_t previous = 0;   // requests counted in the previous fixed window
  std::uint64_t current = 0;    // requests counted so far in the current fixed window
  std::int64_t elapsed_ms = 0;  // time since the current fixed window began
  std::int64_t window_ms = 1;   // length of one fixed window
};

struct limit_decision {
  bool allowed = false;
  std::uint32_t limit = 0;
  // Requests still allowed after this one, assuming no time passes: limit - 1 - floor(estimate)
  // when allowed, 0 when refused.
  std::uint32_t remaining = 0;
  // Time until the current fixed window ends (window_ms - elapsed_ms): for RateLimit-Reset.
  std::int64_t reset_after_ms = 0;
  // Refused: the exact time after which a request would be allowed if nothing else arrives
  // (>= 1). It is at most window_ms + 1 while the counters stay within the limit (the
  // usual case; the "+ 1" is the first millisecond of the next window, where the previous
  // window still weighs in fully), and at most 2 * window_ms when a counter is above the
  // limit (the limit was lowered), or window_ms for a limit of 0. Allowed: 0.
  std::int64_t retry_after_ms = 0;

  friend bool operator==(const limit_decision&, const limit_decision&) = default;
};

inline constexpr std::int64_t max_window_ms = std::int64_t{1} << 31;  // ~24.8 days
inline constexpr std::uint64_t max_count = std::uint64_t{1} << 31;

// Pure, total, noexcept. See the formula above.
limit_decision decide(const window_counts& counts, std::uint32_t limit) noexcept;

}  // namespace kemas
