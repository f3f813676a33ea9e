#include "test/support/redis_fixture.hpp"

#include "test/support/test_settings.hpp"

#include <openssl/rand.h>

#include <cstdlib>
#include <fstream>
#include <map>

namespace kemas::test {
namespace {

// KEY=VALUE lines (optionally "export ", optionally quoted) of <source>/.run/env.
}  // namespace

config::redis_settings redis_settings_from_env() {
  auto settings = test_settings().redis;
  settings.timeout = std::chrono::seconds(5);
  return settings;
}

std::string unique_redis_prefix(std::string_view tag) {
  unsigned char bytes[8];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("RAND_bytes failed");
  static constexpr char hex[] = "0123456789abcdef";
  std::string out = "it:" + std::string(tag) + ":";
  for (unsigned char b : bytes) {
    out += hex[b >> 4];
    out += hex[b & 0xf];
  }
  return out + ":";
}

}  // namespace kemas::test
