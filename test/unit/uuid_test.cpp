#include <doctest/doctest.h>

#include "adapters/support/random.hpp"
#include "domain/uuid.hpp"

using kemas::uuid;

TEST_CASE("uuids parse and print canonically") {
  auto u = uuid::parse("3F2C1A9E-8D2B-4A51-9B1F-2F8A7C6D5E4B");
  REQUIRE(u);
  CHECK(u->to_string() == "3f2c1a9e-8d2b-4a51-9b1f-2f8a7c6d5e4b");
  CHECK(uuid::parse(u->to_string()) == u);
}

TEST_CASE("malformed uuids are refused") {
  CHECK_FALSE(uuid::parse(""));
  CHECK_FALSE(uuid::parse("3f2c1a9e8d2b4a519b1f2f8a7c6d5e4b"));
  CHECK_FALSE(uuid::parse("3f2c1a9e-8d2b-4a51-9b1f-2f8a7c6d5e4g"));
  CHECK_FALSE(uuid::parse("3f2c1a9e-8d2b-4a51-9b1f_2f8a7c6d5e4b"));
  CHECK_FALSE(uuid::parse("3f2c1a9e-8d2b-4a51-9b1f-2f8a7c6d5e4b0"));
}

TEST_CASE("random uuids are version 4 / variant 1") {
  const auto u = kemas::support::random_uuid();
  CHECK((u.data()[6] >> 4) == 4);
  CHECK((u.data()[8] & 0xC0) == 0x80);
  CHECK(u != kemas::support::random_uuid());
}
