// SHA256_Init/Update/Final are deprecated in OpenSSL 3 in favour of EVP, which offers no
// way to export a digest's midstate; the low-level context is the only portable handle on
// it, so this one file uses it on purpose.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "adapters/crypto/resumable_sha256.hpp"

#include <openssl/sha.h>

#include <array>
#include <cstring>

#include "domain/hex.hpp"

namespace kemas::crypto {
namespace {

constexpr char state_version = 1;

SHA256_CTX context_of(const std::string& state) {
  SHA256_CTX ctx;
  std::memcpy(&ctx, state.data(), sizeof ctx);
  return ctx;
}

std::string bytes_of(const SHA256_CTX& ctx) {
  return std::string(reinterpret_cast<const char*>(&ctx), sizeof ctx);
}

}  // namespace

resumable_sha256::resumable_sha256() {
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  state_ = bytes_of(ctx);
}

std::optional<resumable_sha256> resumable_sha256::restore(std::string_view saved) {
  if (saved.size() != sizeof(SHA256_CTX) + 1 || saved.front() != state_version)
    return std::nullopt;
  resumable_sha256 out;
  out.state_.assign(saved.substr(1));
  const SHA256_CTX ctx = context_of(out.state_);
  // A context's pending block holds fewer than 64 bytes, and its digest length is SHA-256's.
  if (ctx.num >= SHA256_CBLOCK || ctx.md_len != SHA256_DIGEST_LENGTH)
    return std::nullopt;
  return out;
}

void resumable_sha256::update(std::string_view bytes) {
  if (bytes.empty())
    return;
  SHA256_CTX ctx = context_of(state_);
  SHA256_Update(&ctx, bytes.data(), bytes.size());
  state_ = bytes_of(ctx);
}

std::string resumable_sha256::save() const {
  return std::string(1, state_version) + state_;
}

std::string resumable_sha256::hex() const {
  SHA256_CTX ctx = context_of(state_);
  std::array<unsigned char, SHA256_DIGEST_LENGTH> md{};
  SHA256_Final(md.data(), &ctx);
  return hex_lower(md.data(), md.size());
}

}  // namespace kemas::crypto
