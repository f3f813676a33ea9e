#include "adapters/crypto/tokens.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <stdexcept>

#include "adapters/support/random.hpp"
#include "domain/base64.hpp"

namespace kemas::crypto {

std::string random_token() {
  std::array<unsigned char, 32> raw{};
  support::random_bytes(raw.data(), raw.size());
  return base64url(raw.data(), raw.size());
}

std::string sha256_hex(std::string_view data) {
  static constexpr char digits[] = "0123456789abcdef";
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int md_size = 0;
  if (EVP_Digest(data.data(), data.size(), md.data(), &md_size, EVP_sha256(), nullptr) != 1 || md_size != 32) {
    throw std::runtime_error("EVP_Digest(SHA-256) failed");
  }
  std::string out;
  out.reserve(64);
  for (unsigned i = 0; i < md_size; ++i) {
    out.push_back(digits[md[i] >> 4]);
    out.push_back(digits[md[i] & 0x0F]);
  }
  return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) {
    // Still touch every byte of `a`, so the time depends on the lengths only.
    (void)CRYPTO_memcmp(a.data(), a.data(), a.size());
    return false;
  }
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace kemas::crypto
