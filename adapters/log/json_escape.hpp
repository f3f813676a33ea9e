#pragma once
// JSON string escaping for log lines: cheap, allocation-free, and total. Every input gives a
// valid JSON string: quotes, backslashes and control characters are escaped, and bytes that
// are not valid UTF-8 (client-supplied names and headers can be anything) become \ufffd, so
// one bad byte never makes a whole log line unparseable for Loki or jq.

#include <cstddef>
#include <string_view>

namespace kemas::log {

// Length of the valid UTF-8 sequence starting at text[i] (1 for ASCII), or 0 when the bytes
// there are not valid UTF-8 (stray continuation, overlong form, surrogate, > U+10FFFF,
// truncated). Requires i < text.size().
inline std::size_t utf8_sequence_length(std::string_view text, std::size_t i) noexcept {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char first = byte(i);
  if (first < 0x80)
    return 1;
  std::size_t length = 0;
  unsigned char low = 0x80;  // allowed range of the second byte
  unsigned char high = 0xBF;
  if (first >= 0xC2 && first <= 0xDF) {
    length = 2;
  } else if (first >= 0xE0 && first <= 0xEF) {
    length = 3;
    if (first == 0xE0)
      low = 0xA0;  // overlong
    if (first == 0xED)
      high = 0x9F;  // UTF-16 surrogates
  } else if (first >= 0xF0 && first <= 0xF4) {
    length = 4;
    if (first == 0xF0)
      low = 0x90;  // overlong
    if (first == 0xF4)
      high = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (i + length > text.size())
    return 0;
  if (byte(i + 1) < low || byte(i + 1) > high)
    return 0;
  for (std::size_t k = 2; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80)
      return 0;
  }
  return length;
}

// Appends `text` to `out` as a JSON string literal, quotes included. Buffer is std::string
// or fmt::memory_buffer (anything with push_back(char) and append(const char*, const char*)).
template <class Buffer>
void append_json_string(Buffer& out, std::string_view text) {
  constexpr std::string_view hex = "0123456789abcdef";
  auto put = [&out](std::string_view s) { out.append(s.data(), s.data() + s.size()); };
  out.push_back('"');
  std::size_t clean_from = 0;  // start of the run of bytes copied as they are
  std::size_t i = 0;
  while (i < text.size()) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') {
      std::size_t length = c < 0x80 ? 1 : utf8_sequence_length(text, i);
      if (length != 0) {
        i += length;
        continue;
      }
    }
    put(text.substr(clean_from, i - clean_from));
    switch (c) {
      case '"':
        put("\\\"");
        break;
      case '\\':
        put("\\\\");
        break;
      case '\n':
        put("\\n");
        break;
      case '\r':
        put("\\r");
        break;
      case '\t':
        put("\\t");
        break;
      case '\b':
        put("\\b");
        break;
      case '\f':
        put("\\f");
        break;
      default:
        if (c < 0x20) {
          put("\\u00");
          out.push_back(hex[c >> 4]);
          out.push_back(hex[c & 0x0F]);
        } else {
          put("\\ufffd");  // one replacement per invalid byte
        }
    }
    ++i;
    clean_from = i;
  }
  put(text.substr(clean_from));
  out.push_back('"');
}

}  // namespace kemas::log
