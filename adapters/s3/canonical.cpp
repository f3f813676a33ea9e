#include "adapters/s3/canonical.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <stdexcept>
#include <utility>
#include <vector>

namespace kemas::s3 {
namespace {

constexpr char hex_upper[] = "0123456789ABCDEF";
constexpr char hex_lower[] = "0123456789abcdef";

bool unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

}  // namespace

std::string uri_encode(std::string_view text, bool encode_slash) {
  std::string out;
  out.reserve(text.size() + text.size() / 2);
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (unreserved(c) || (c == '/' && !encode_slash)) {
      out += ch;
    } else {
      out += '%';
      out += hex_upper[c >> 4];
      out += hex_upper[c & 0x0f];
    }
  }
  return out;
}

std::string canonical_key_path(std::string_view bucket, std::string_view key) {
  std::string out = "/";
  out += uri_encode(bucket, true);
  if (!key.empty()) {
    out += '/';
    out += uri_encode(key, false);
  }
  return out;
}

std::string canonical_query(const query_params& params) {
  // Sorting happens on the ENCODED names (the spec says so; raw and encoded order differ
  // for names with reserved characters).
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(params.size());
  for (const auto& [name, value] : params) {
    encoded.emplace_back(uri_encode(name, true), uri_encode(value, true));
  }
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty())
      out += '&';
    out += name;
    out += '=';
    out += value;
  }
  return out;
}

std::string sha256_hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("EVP_Digest(sha256) failed");
  }
  std::string out;
  out.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    out += hex_lower[digest[i] >> 4];
    out += hex_lower[digest[i] & 0x0f];
  }
  return out;
}

}  // namespace kemas::s3
