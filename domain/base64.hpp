#pragma once
// Base64 in its two RFC 4648 alphabets, strict both ways. Pure functions, thread-safe.
//   base64url (§5, no '=' padding): tokens, cursors, API keys.
//   base64    (§4, '=' padding): the inline body of an `upload` command.
// Decoders refuse anything a matching encoder would not write (a character outside the
// alphabet, a wrong length or padding, non-zero unused trailing bits), so every byte string
// has exactly one accepted encoding.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace kemas {

std::string base64url(const void* data, std::size_t size);
inline std::string base64url(std::string_view bytes) {
  return base64url(bytes.data(), bytes.size());
}
std::optional<std::string> base64url_decode(std::string_view text);

std::string base64(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace kemas
