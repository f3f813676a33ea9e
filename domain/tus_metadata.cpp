#include "domain/tus_metadata.hpp"

#include "domain/base64.hpp"
#include "domain/text.hpp"

namespace kemas {
namespace {

error malformed(std::string why) {
  return make_error(errc::bad_request, "Upload-Metadata: " + std::move(why), "Upload-Metadata");
}

bool valid_key(std::string_view key) {
  if (key.empty())
    return false;
  for (char c : key) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == ',')
      return false;
  }
  return true;
}

}  // namespace

result<tus_metadata> parse_tus_metadata(std::string_view header) {
  tus_metadata out;
  if (header.size() > tus_metadata_max)
    return malformed("longer than " + std::to_string(tus_metadata_max) + " bytes");
  if (trim_ows(header).empty())
    return out;
  while (true) {
    const auto comma = header.find(',');
    std::string_view pair = trim_ows(header.substr(0, comma));
    const auto space = pair.find(' ');
    std::string_view key = pair.substr(0, space);
    std::string_view value = space == std::string_view::npos ? std::string_view{}
                                                              : trim_ows(pair.substr(space + 1));
    if (!valid_key(key))
      return malformed("a key is empty or holds spaces or control characters");
    std::string decoded;
    if (!value.empty()) {
      auto bytes = base64_decode(value);
      if (!bytes)
        return malformed("the value of '" + std::string(key) + "' is not base64");
      decoded = std::move(*bytes);
    }
    if (!out.emplace(std::string(key), std::move(decoded)).second)
      return malformed("the key '" + std::string(key) + "' appears twice");
    if (comma == std::string_view::npos)
      break;
    header.remove_prefix(comma + 1);
  }
  return out;
}

std::string first_of(const tus_metadata& metadata, std::initializer_list<std::string_view> keys) {
  for (auto key : keys) {
    if (auto it = metadata.find(key); it != metadata.end())
      return it->second;
  }
  return {};
}

}  // namespace kemas
