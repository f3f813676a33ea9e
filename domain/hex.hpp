#pragma once
// Hexadecimal digits and percent-encoding, the one home for both. Pure, thread-safe.

#include <cstddef>
#include <string>
#include <string_view>

namespace kemas {

// The value of a hex digit (either case), or -1.
constexpr int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

// Two lower-case hex digits per byte ("00ff10").
std::string hex_lower(const void* data, std::size_t size);
inline std::string hex_lower(std::string_view bytes) { return hex_lower(bytes.data(), bytes.size()); }

// RFC 3986 unreserved characters: ALPHA, DIGIT, '-', '.', '_', '~'.
constexpr bool is_unreserved(unsigned char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

// RFC 3986 percent-encoding: every byte for which keep(byte) is false becomes %XX (upper-case
// hex), the others stay as they are.
template <class Keep>
std::string percent_encode(std::string_view text, Keep keep) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() + text.size() / 2);
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (keep(c)) {
      out += ch;
    } else {
      out += '%';
      out += digits[c >> 4];
      out += digits[c & 0x0F];
    }
  }
  return out;
}

}  // namespace kemas
