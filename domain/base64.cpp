#include "domain/base64.hpp"

#include <cstdint>

namespace kemas {
namespace {

constexpr char url_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr char std_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Value of a character of `alphabet`'s last two positions (62, 63) or of the shared 62, or -1.
int sextet(char c, const char* alphabet) noexcept {
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == alphabet[62])
    return 62;
  if (c == alphabet[63])
    return 63;
  return -1;
}

// Encodes without padding; the caller pads.
std::string encode(const unsigned char* in, std::size_t size, const char* alphabet) {
  std::string out;
  out.reserve((size + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= size; i += 3) {
    const std::uint32_t v =
        (std::uint32_t{in[i]} << 16) | (std::uint32_t{in[i + 1]} << 8) | in[i + 2];
    out.push_back(alphabet[(v >> 18) & 63]);
    out.push_back(alphabet[(v >> 12) & 63]);
    out.push_back(alphabet[(v >> 6) & 63]);
    out.push_back(alphabet[v & 63]);
  }
  const std::size_t left = size - i;
  if (left > 0) {
    std::uint32_t v = std::uint32_t{in[i]} << 16;
    if (left == 2)
      v |= std::uint32_t{in[i + 1]} << 8;
    out.push_back(alphabet[(v >> 18) & 63]);
    out.push_back(alphabet[(v >> 12) & 63]);
    if (left == 2)
      out.push_back(alphabet[(v >> 6) & 63]);
  }
  return out;
}

// Decodes unpadded text.
std::optional<std::string> decode(std::string_view text, const char* alphabet) {
  if (text.size() % 4 == 1)
    return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    const int v = sextet(c, alphabet);
    if (v < 0)
      return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
      acc &= (1u << bits) - 1;  // keep only the bits not yet emitted
    }
  }
  // Leftover bits (2 or 4) must be zero, or two encodings would decode to the same bytes.
  if (acc != 0)
    return std::nullopt;
  return out;
}

}  // namespace

std::string base64url(const void* data, std::size_t size) {
  return encode(static_cast<const unsigned char*>(data), size, url_alphabet);
}

std::optional<std::string> base64url_decode(std::string_view text) {
  return decode(text, url_alphabet);
}

std::string base64(std::string_view bytes) {
  std::string out =
      encode(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), std_alphabet);
  out.append((4 - out.size() % 4) % 4, '=');
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0)
    return std::nullopt;
  std::size_t padding = 0;
  while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=')
    ++padding;
  return decode(text.substr(0, text.size() - padding), std_alphabet);
}

}  // namespace kemas
