#include "test/support/redis_fixture.hpp"

#include "test/support/test_settings.hpp"

#include "adapters/support/random.hpp"

namespace kemas::test {

config::redis_settings redis_settings_from_env() {
  auto settings = test_settings().redis;
  settings.timeout = std::chrono::seconds(5);
  return settings;
}

std::string unique_redis_prefix(std::string_view tag) {
  return "it:" + std::string(tag) + ":" + support::random_hex(8) + ":";
}

}  // namespace kemas::test
