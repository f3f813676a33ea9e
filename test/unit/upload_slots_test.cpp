// upload_slots (app/services/upload_slots.hpp): the per-account cap on running uploads and
// the process's buffer budget, without any server.
#include <doctest/doctest.h>

#include <optional>
#include <vector>

#include "app/services/upload_slots.hpp"
#include "domain/uuid.hpp"

namespace {
kemas::uuid user(std::uint8_t n) {
  kemas::uuid::bytes b{};
  b[15] = n;
  return kemas::uuid(b);
}
}  // namespace

TEST_CASE("upload slots cap each account and the buffer budget and give both back") {
  kemas::app::upload_slots slots(2, 100);
  auto a1 = slots.acquire(user(1), 30);
  auto a2 = slots.acquire(user(1), 30);
  REQUIRE(a1.has_value());
  REQUIRE(a2.has_value());
  auto a3 = slots.acquire(user(1), 1);
  REQUIRE_FALSE(a3.has_value());
  CHECK(a3.error().code == kemas::errc::rate_limited);
  CHECK(a3.error().retry_after_ms > 0);

  auto b1 = slots.acquire(user(2), 40);  // 100 in use now
  REQUIRE(b1.has_value());
  CHECK(slots.bytes_in_use() == 100);
  auto b2 = slots.acquire(user(2), 1);
  REQUIRE_FALSE(b2.has_value());
  CHECK(b2.error().code == kemas::errc::backend_unavailable);
  CHECK(b2.error().retry_after_ms > 0);

  {
    auto moved = std::move(*a1);  // a moved lease is released once, by its new owner
  }
  CHECK(slots.bytes_in_use() == 70);
  CHECK(slots.acquire(user(1), 30).has_value());  // a slot of user 1 is free again...
  CHECK(slots.bytes_in_use() == 70);              // ...and that lease ended at once
  auto later = slots.acquire(user(3), 30);
  CHECK(later.has_value());
  CHECK(slots.bytes_in_use() == 100);
}
