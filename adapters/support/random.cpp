#include "adapters/support/random.hpp"
#include "domain/hex.hpp"

#include <openssl/rand.h>

#include <limits>
#include <stdexcept>
#include <vector>

namespace kemas::support {

void random_bytes(void* out, std::size_t size) {
  if (size > static_cast<std::size_t>(std::numeric_limits<int>::max()) ||
      RAND_bytes(static_cast<unsigned char*>(out), static_cast<int>(size)) != 1) {
    throw std::runtime_error("RAND_bytes failed");
  }
}

uuid random_uuid() {
  uuid::bytes b{};
  random_bytes(b.data(), b.size());
  return uuid::v4_from(b);
}

std::string random_hex(std::size_t bytes) {
  std::vector<unsigned char> raw(bytes);
  random_bytes(raw.data(), raw.size());
  return hex_lower(raw.data(), raw.size());
}

}  // namespace kemas::support
