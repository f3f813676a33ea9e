#include "adapters/crypto/sha256_stream.hpp"
#include "domain/hex.hpp"

#include <openssl/evp.h>

#include <array>
#include <stdexcept>

namespace kemas::crypto {

struct sha256_stream::context {
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  ~context() { EVP_MD_CTX_free(md); }
};

sha256_stream::sha256_stream() : context_(std::make_unique<context>()) {
  if (context_->md == nullptr || EVP_DigestInit_ex(context_->md, EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("EVP_DigestInit_ex(SHA-256) failed");
}

sha256_stream::~sha256_stream() = default;
sha256_stream::sha256_stream(sha256_stream&&) noexcept = default;
sha256_stream& sha256_stream::operator=(sha256_stream&&) noexcept = default;

void sha256_stream::update(std::string_view bytes) {
  if (!bytes.empty() && EVP_DigestUpdate(context_->md, bytes.data(), bytes.size()) != 1)
    throw std::runtime_error("EVP_DigestUpdate(SHA-256) failed");
}

std::string sha256_stream::finish_hex() {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int size = 0;
  if (EVP_DigestFinal_ex(context_->md, md.data(), &size) != 1 || size != 32)
    throw std::runtime_error("EVP_DigestFinal_ex(SHA-256) failed");
  return hex_lower(md.data(), size);
}

}  // namespace kemas::crypto
