#pragma once
// Upload-Metadata of tus 1.0: comma-separated pairs "key base64value" (the value may be
// absent). Keys are ASCII without spaces or commas and unique; values are standard base64.
// kemas reads `filename` (or `name`) for the file's name and `filetype` (or `type`, or
// `contentType`) for its content type; others are kept and echoed by HEAD.

#include <map>
#include <string>
#include <string_view>

#include "domain/result.hpp"

namespace kemas {

// At most this many bytes of Upload-Metadata are accepted (the header is echoed by HEAD).
inline constexpr std::size_t tus_metadata_max = 4096;

using tus_metadata = std::map<std::string, std::string, std::less<>>;

// bad_request (field "Upload-Metadata") for a malformed header, a duplicate key or one over
// tus_metadata_max bytes.
result<tus_metadata> parse_tus_metadata(std::string_view header);

// The first present value among `keys`, or "".
std::string first_of(const tus_metadata& metadata, std::initializer_list<std::string_view> keys);

}  // namespace kemas
