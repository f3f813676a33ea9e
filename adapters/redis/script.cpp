#include "adapters/redis/script.hpp"

#include <openssl/evp.h>

#include <stdexcept>

namespace kemas::redis {

namespace {

std::string sha1_hex(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha1(), nullptr) != 1) {
    throw std::runtime_error("redis_script: SHA-1 failed");
  }
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * length);
  for (unsigned int i = 0; i < length; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 0xf];
  }
  return out;
}

}  // namespace

redis_script::redis_script(std::string source)
    : source_(std::move(source)), sha1_(sha1_hex(source_)) {}

}  // namespace kemas::redis
