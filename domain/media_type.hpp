#pragma once
// The Content-Type a client declares for an uploaded file. It is stored and sent back on
// every download, so it must be a header value we can repeat safely: a `type/subtype`
// media type (RFC 9110 8.3.1) with optional parameters, visible ASCII and spaces only.

#include <cstddef>
#include <string>
#include <string_view>

#include "domain/result.hpp"

namespace kemas {

inline constexpr std::size_t media_type_max_bytes = 255;
inline constexpr std::string_view default_media_type = "application/octet-stream";

// Empty (or only spaces) -> application/octet-stream. Otherwise the value trimmed of
// surrounding spaces, when it is at most 255 bytes of visible ASCII or space with a token
// type and subtype; anything else fails with validation_failed, field "content_type".
result<std::string> normalize_media_type(std::string_view sent);

}  // namespace kemas
