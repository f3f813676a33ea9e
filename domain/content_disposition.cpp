#include "domain/content_disposition.hpp"

#include "domain/hex.hpp"

#include "domain/file_name.hpp"

namespace kemas {
namespace {

// attr-char = ALPHA / DIGIT / "!" / "#" / "$" / "&" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~"
bool is_attr_char(unsigned char c) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!': case '#': case '$': case '&': case '+': case '-': case '.':
    case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

std::string ascii_fallback(std::string_view name) {
  if (name.empty()) return "download";
  std::string out;
  out.reserve(name.size());
  for (std::size_t i = 0; i < name.size();) {
    const auto c = static_cast<unsigned char>(name[i]);
    if (c >= 0x80) {
      // One '_' per character, so "résumé.pdf" reads "r_sum_.pdf" rather than "r__sum__.pdf".
      char32_t cp = 0;
      const auto n = utf8_next(name, i, cp);
      out += '_';
      i += n == 0 ? 1 : n;
      continue;
    }
    if (c < 0x20 || c == 0x7F || c == '%') {
      out += '_';
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else {
      out += static_cast<char>(c);
    }
    ++i;
  }
  return out;
}

}  // namespace

std::string percent_encode_attr(std::string_view text) {
  return percent_encode(text, is_attr_char);
}

std::string content_disposition(std::string_view file_name, disposition_type type) {
  std::string out = type == disposition_type::attachment ? "attachment" : "inline";
  out += "; filename=\"";
  out += ascii_fallback(file_name);
  out += "\"; filename*=UTF-8''";
  out += percent_encode_attr(file_name);
  return out;
}

}  // namespace kemas
