#include "test/support/redis_fixture.hpp"

#include <openssl/rand.h>

#include <cstdlib>
#include <fstream>
#include <map>

namespace kemas::test {
namespace {

// KEY=VALUE lines (optionally "export ", optionally quoted) of <source>/.run/env.
std::map<std::string, std::string> read_run_env() {
  std::map<std::string, std::string> values;
  std::ifstream in(std::string(KEMAS_SOURCE_DIR) + "/.run/env");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("export ", 0) == 0) line.erase(0, 7);
    const auto eq = line.find('=');
    if (line.empty() || line[0] == '#' || eq == std::string::npos) continue;
    std::string value = line.substr(eq + 1);
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    }
    values[line.substr(0, eq)] = value;
  }
  return values;
}

std::string lookup(const std::map<std::string, std::string>& file, const char* name,
                   bool required) {
  if (const char* value = std::getenv(name); value != nullptr && *value != '\0') return value;
  if (auto it = file.find(name); it != file.end() && !it->second.empty()) return it->second;
  if (required) {
    throw std::runtime_error(std::string(name) +
                             " is not set: run `scripts/services.sh up` and load .run/env");
  }
  return {};
}

}  // namespace

config::redis_settings redis_settings_from_env() {
  const auto file = read_run_env();
  config::redis_settings settings;
  settings.host = lookup(file, "KEMAS_REDIS_HOST", true);
  const auto port = std::stoul(lookup(file, "KEMAS_REDIS_PORT", true));
  if (port == 0 || port > 65535) throw std::runtime_error("KEMAS_REDIS_PORT is not a port");
  settings.port = static_cast<std::uint16_t>(port);
  settings.password = lookup(file, "KEMAS_REDIS_PASSWORD", false);
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

redis_io_threads::redis_io_threads(unsigned threads) : work_(context_.get_executor()) {
  for (unsigned i = 0; i < threads; ++i) {
    threads_.emplace_back([this] { context_.run(); });
  }
}

redis_io_threads::~redis_io_threads() {
  work_.reset();  // run() returns once nothing is left to do
  for (auto& t : threads_) t.join();
}

}  // namespace kemas::test
