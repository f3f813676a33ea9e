#pragma once
// UTF-8 encoding of one code point (RFC 3629). Callers pass scalar values (no surrogates,
// at most U+10FFFF); decoding with validation lives where names are checked (file_name.cpp).
// And counting characters of text already known to be UTF-8.

#include <cstddef>
#include <string>
#include <string_view>

namespace kemas {

void append_utf8(std::string& out, char32_t code_point);

// Code points in valid UTF-8 `text` (what PostgreSQL's char_length counts): the bytes that
// are not continuation bytes.
inline std::size_t utf8_length(std::string_view text) {
  std::size_t count = 0;
  for (unsigned char c : text)
    count += (c & 0xC0) != 0x80 ? 1 : 0;
  return count;
}

inline std::string utf8_of(char32_t code_point) {
  std::string out;
  append_utf8(out, code_point);
  return out;
}

}  // namespace kemas
