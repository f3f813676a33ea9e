#include "adapters/s3/canonical.hpp"

#include "domain/hex.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>
#include <vector>

namespace kemas::s3 {

std::string uri_encode(std::string_view text, bool encode_slash) {
  return percent_encode(text, [encode_slash](unsigned char c) {
    return is_unreserved(c) || (c == '/' && !encode_slash);
  });
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

}  // namespace kemas::s3
