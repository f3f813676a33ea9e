#pragma once
// UTF-8 encoding of one code point (RFC 3629). Callers pass scalar values (no surrogates,
// at most U+10FFFF); decoding with validation lives where names are checked (file_name.cpp).

#include <string>

namespace kemas {

void append_utf8(std::string& out, char32_t code_point);

inline std::string utf8_of(char32_t code_point) {
  std::string out;
  append_utf8(out, code_point);
  return out;
}

}  // namespace kemas
