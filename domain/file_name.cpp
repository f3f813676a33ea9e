#include "domain/file_name.hpp"

#include <cstdint>

namespace kemas {
namespace {

// Decodes one code point starting at `i`; returns its byte length, 0 when ill-formed.
// The ranges follow RFC 3629 section 4 (the table of well-formed byte sequences), which
// rules out overlongs and surrogates by restricting the second byte.
std::size_t decode_one(std::string_view s, std::size_t i, std::uint32_t& cp) noexcept {
  if (i >= s.size()) return 0;
  const auto byte = [&](std::size_t k) { return static_cast<std::uint8_t>(s[i + k]); };
  const auto cont = [&](std::size_t k, std::uint8_t lo = 0x80, std::uint8_t hi = 0xBF) {
    return i + k < s.size() && byte(k) >= lo && byte(k) <= hi;
  };
  const std::uint8_t b0 = byte(0);
  if (b0 < 0x80) {
    cp = b0;
    return 1;
  }
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    if (!cont(1)) return 0;
    cp = (b0 & 0x1Fu) << 6 | (byte(1) & 0x3Fu);
    return 2;
  }
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    const std::uint8_t lo = b0 == 0xE0 ? 0xA0 : 0x80;  // E0 80..9F would be overlong
    const std::uint8_t hi = b0 == 0xED ? 0x9F : 0xBF;  // ED A0..BF would be a surrogate
    if (!cont(1, lo, hi) || !cont(2)) return 0;
    cp = (b0 & 0x0Fu) << 12 | (byte(1) & 0x3Fu) << 6 | (byte(2) & 0x3Fu);
    return 3;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    const std::uint8_t lo = b0 == 0xF0 ? 0x90 : 0x80;  // F0 80..8F would be overlong
    const std::uint8_t hi = b0 == 0xF4 ? 0x8F : 0xBF;  // F4 90.. would pass U+10FFFF
    if (!cont(1, lo, hi) || !cont(2) || !cont(3)) return 0;
    cp = (b0 & 0x07u) << 18 | (byte(1) & 0x3Fu) << 12 | (byte(2) & 0x3Fu) << 6 | (byte(3) & 0x3Fu);
    return 4;
  }
  return 0;  // 80..C1 (continuation or overlong lead) and F5..FF never start a sequence
}

bool is_control(std::uint32_t cp) noexcept { return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F); }

// Bidirectional formatting characters reorder what a person reads: "invoice<U+202E>fdp.exe"
// shows as "invoiceexe.pdf". A file name has no use for them (Unicode TR 9, table 4, plus the
// implicit marks LRM, RLM and ALM).
bool is_bidi_control(std::uint32_t cp) noexcept {
  return cp == 0x061C || cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) ||
         (cp >= 0x2066 && cp <= 0x2069);
}

}  // namespace

std::size_t utf8_next(std::string_view text, std::size_t i, char32_t& cp) noexcept {
  std::uint32_t value = 0;
  const auto n = decode_one(text, i, value);
  cp = n == 0 ? U'\0' : static_cast<char32_t>(value);
  return n;
}

bool is_valid_utf8(std::string_view text) noexcept {
  std::uint32_t cp = 0;
  for (std::size_t i = 0; i < text.size();) {
    const auto n = decode_one(text, i, cp);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

result<void> validate_file_name(std::string_view name) {
  const auto bad = [](std::string message) { return make_error(errc::validation_failed, std::move(message), "name"); };
  if (name.empty()) return bad("name is required");
  if (name.size() > file_name_max_bytes) return bad("name is longer than 255 bytes");
  if (name == "." || name == "..") return bad("name must not be '.' or '..'");
  std::uint32_t cp = 0;
  for (std::size_t i = 0; i < name.size();) {
    const auto n = decode_one(name, i, cp);
    if (n == 0) return bad("name is not valid UTF-8");
    if (is_control(cp)) return bad("name must not contain control characters");
    if (is_bidi_control(cp)) return bad("name must not contain bidirectional control characters");
    if (cp == '/') return bad("name must not contain '/'");
    i += n;
  }
  return {};
}

std::string client_file_name(std::string_view sent) {
  const auto cut = sent.find_last_of("/\\");
  return std::string(cut == std::string_view::npos ? sent : sent.substr(cut + 1));
}

}  // namespace kemas
