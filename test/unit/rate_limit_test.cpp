// The sliding-window arithmetic of domain/rate_limit.hpp: boundaries, the weight of the
// previous window, retry_after (checked against a brute-force walk through time).

#include <doctest/doctest.h>

#include "domain/rate_limit.hpp"

#include <cstdint>
#include <random>

using kemas::decide;
using kemas::limit_decision;
using kemas::window_counts;

namespace {

// The counters as they would be `later` ms after `c` if no request arrived meanwhile.
window_counts advance(window_counts c, std::int64_t later) {
  const std::int64_t at = c.elapsed_ms + later;
  if (at < c.window_ms)
    return {c.previous, c.current, at, c.window_ms};
  if (at < 2 * c.window_ms)
    return {c.current, 0, at - c.window_ms, c.window_ms};
  return {0, 0, at % c.window_ms, c.window_ms};
}

// Smallest t >= 1 at which a request would be allowed, by walking millisecond by millisecond.
std::int64_t brute_force_retry(const window_counts& c, std::uint32_t limit) {
  for (std::int64_t t = 1; t <= 3 * c.window_ms; ++t) {
    if (decide(advance(c, t), limit).allowed)
      return t;
  }
  return -1;
}

}  // namespace

TEST_CASE("an empty window allows and reports limit - 1 remaining") {
  const auto d = decide({0, 0, 0, 60'000}, 20);
  CHECK(d.allowed);
  CHECK(d.limit == 20);
  CHECK(d.remaining == 19);
  CHECK(d.reset_after_ms == 60'000);
  CHECK(d.retry_after_ms == 0);
}

TEST_CASE("exactly limit requests are allowed and limit + 1 is refused") {
  window_counts c{0, 0, 1'000, 60'000};
  for (std::uint32_t i = 0; i < 20; ++i) {
    const auto d = decide(c, 20);
    REQUIRE(d.allowed);
    CHECK(d.remaining == 20 - 1 - i);
    c.current += 1;
  }
  const auto refused = decide(c, 20);
  CHECK_FALSE(refused.allowed);
  CHECK(refused.remaining == 0);
  CHECK(refused.reset_after_ms == 59'000);
  // The current window holds the load: it must become the previous window and then lose
  // some weight, i.e. 1 ms into the next window.
  CHECK(refused.retry_after_ms == 59'000 + 1);
}

TEST_CASE("the previous window is weighted by its overlap") {
  // Half way through the current window, 10 previous requests weigh 5.
  CHECK(decide({10, 0, 30'000, 60'000}, 10).remaining == 4);
  CHECK(decide({10, 3, 30'000, 60'000}, 10).remaining == 1);
  CHECK(decide({10, 4, 30'000, 60'000}, 10).allowed);
  CHECK_FALSE(decide({10, 5, 30'000, 60'000}, 10).allowed);
  // At the very start of a window the previous one still counts fully.
  CHECK_FALSE(decide({10, 0, 0, 60'000}, 10).allowed);
  // One millisecond later its weight is just under 10: floor(9.998...) = 9 < 10.
  CHECK(decide({10, 0, 1, 60'000}, 10).allowed);
  CHECK(decide({10, 0, 1, 60'000}, 10).remaining == 0);
  // Fractions are floored: 7 * 45/60 = 5.25 -> 5.
  CHECK(decide({7, 0, 15'000, 60'000}, 10).remaining == 4);
}

TEST_CASE("retry_after when the previous window carries the load") {
  // limit 10, previous 20, current 2, 15 s into a 60 s window: estimate = 20*45/60 + 2 = 17.
  // Allowed once 20 * w / 60000 < 8, i.e. w < 24000, i.e. w <= 23999: t = 45000 - 23999.
  const window_counts c{20, 2, 15'000, 60'000};
  const auto d = decide(c, 10);
  CHECK_FALSE(d.allowed);
  CHECK(d.retry_after_ms == 45'000 - 23'999);
  CHECK(d.reset_after_ms == 45'000);
  CHECK(decide(advance(c, d.retry_after_ms), 10).allowed);
  CHECK_FALSE(decide(advance(c, d.retry_after_ms - 1), 10).allowed);
}

TEST_CASE("window edges") {
  // Last millisecond of a window.
  const auto last = decide({0, 5, 59'999, 60'000}, 5);
  CHECK_FALSE(last.allowed);
  CHECK(last.reset_after_ms == 1);
  CHECK(last.retry_after_ms == 2);  // next window's first ms still weighs 5 fully
  // First millisecond of a window.
  const auto first = decide({0, 5, 0, 60'000}, 5);
  CHECK(first.reset_after_ms == 60'000);
  CHECK(first.retry_after_ms == 60'001);
  // A one-millisecond window: the previous window's weight is always 1.
  CHECK_FALSE(decide({3, 0, 0, 1}, 3).allowed);
  CHECK(decide({3, 0, 0, 1}, 3).retry_after_ms == 1);  // the next window is empty
}

TEST_CASE("out-of-range inputs are normalised") {
  CHECK(decide({0, 0, -5, 1'000}, 1).reset_after_ms == 1'000);
  CHECK(decide({0, 0, 5'000, 1'000}, 1).reset_after_ms == 1);
  CHECK(decide({0, 0, 0, 0}, 1).reset_after_ms == 1);
  CHECK(decide({0, 0, 0, -10}, 1).allowed);
  const auto huge = decide({UINT64_MAX, UINT64_MAX, 10, INT64_MAX}, 1'000);
  CHECK_FALSE(huge.allowed);
  CHECK(huge.retry_after_ms >= 1);
  CHECK(huge.retry_after_ms <= 2 * kemas::max_window_ms);
  CHECK(decide({0, UINT64_MAX, 0, 1'000}, UINT32_MAX).allowed);  // clamped below the limit
}

TEST_CASE("a limit of zero refuses everything") {
  const auto d = decide({0, 0, 100, 1'000}, 0);
  CHECK_FALSE(d.allowed);
  CHECK(d.remaining == 0);
  CHECK(d.retry_after_ms == 1'000);
}

TEST_CASE("a counter above the limit waits into the next window") {
  // The limit was lowered from 20 to 10 while 20 were counted.
  const window_counts c{0, 20, 10'000, 60'000};
  const auto d = decide(c, 10);
  CHECK_FALSE(d.allowed);
  CHECK(d.retry_after_ms == brute_force_retry(c, 10));
  CHECK(d.retry_after_ms > 50'000);
  CHECK(d.retry_after_ms <= 2 * 60'000);
}

TEST_CASE("retry_after equals the brute-force answer") {
  std::mt19937 rng(12345);
  int refused = 0;
  for (int i = 0; i < 3'000; ++i) {
    const std::int64_t window = std::uniform_int_distribution<std::int64_t>(1, 400)(rng);
    const std::uint32_t limit = std::uniform_int_distribution<std::uint32_t>(1, 12)(rng);
    const window_counts c{std::uniform_int_distribution<std::uint64_t>(0, 2 * limit)(rng),
                          std::uniform_int_distribution<std::uint64_t>(0, limit + 2)(rng),
                          std::uniform_int_distribution<std::int64_t>(0, window - 1)(rng), window};
    const auto d = decide(c, limit);
    CHECK(d.reset_after_ms == window - c.elapsed_ms);
    if (d.allowed) {
      CHECK(d.retry_after_ms == 0);
      CHECK(d.remaining < limit);
      continue;
    }
    ++refused;
    INFO("prev=" << c.previous << " cur=" << c.current << " elapsed=" << c.elapsed_ms
                 << " window=" << window << " limit=" << limit);
    CHECK(d.retry_after_ms == brute_force_retry(c, limit));
    CHECK(d.retry_after_ms >= 1);
    if (c.current <= limit && c.previous <= limit)
      CHECK(d.retry_after_ms <= window + 1);
  }
  CHECK(refused > 500);  // the sample exercised the refusing branch
}
