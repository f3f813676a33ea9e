#include "adapters/crypto/tokens.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <stdexcept>

#include "adapters/support/random.hpp"
#include "domain/base64.hpp"
#include "domain/hex.hpp"

namespace kemas::crypto {

std::string random_token() {
  std::array<unsigned char, 32> raw{};
  support::random_bytes(raw.data(), raw.size());
  return base64url(raw.data(), raw.size());
}

namespace {

std::string digest_hex(std::string_view data, const EVP_MD* algorithm, std::string_view name) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int size = 0;
  if (EVP_Digest(data.data(), data.size(), md.data(), &size, algorithm, nullptr) != 1)
    throw std::runtime_error("EVP_Digest(" + std::string(name) + ") failed");
  return hex_lower(md.data(), size);
}

}  // namespace

std::string sha256_hex(std::string_view data) {
  return digest_hex(data, EVP_sha256(), "SHA-256");
}

std::string sha1_hex(std::string_view data) {
  return digest_hex(data, EVP_sha1(), "SHA-1");
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
