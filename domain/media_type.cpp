#include "domain/media_type.hpp"
#include "domain/text.hpp"

namespace kemas {
namespace {

// RFC 9110 5.6.2 tchar.
bool is_token_char(char c) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
    return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

bool is_token(std::string_view s) noexcept {
  if (s.empty())
    return false;
  for (char c : s) {
    if (!is_token_char(c))
      return false;
  }
  return true;
}

error invalid(std::string message) {
  return make_error(errc::validation_failed, std::move(message), "content_type");
}

}  // namespace

result<std::string> normalize_media_type(std::string_view sent) {
  sent = trim_ows(sent);
  if (sent.empty())
    return std::string(default_media_type);
  if (sent.size() > media_type_max_bytes)
    return invalid("content type must be at most 255 bytes");
  for (char c : sent) {
    if (c < 0x20 || c > 0x7E)
      return invalid("content type may only hold visible ASCII characters and spaces");
  }
  const std::string_view essence = sent.substr(0, sent.find(';'));
  const auto slash = essence.find('/');
  std::string_view type = essence.substr(0, slash);
  std::string_view subtype =
      slash == std::string_view::npos ? std::string_view{} : essence.substr(slash + 1);
  while (!subtype.empty() && subtype.back() == ' ')
    subtype.remove_suffix(1);
  if (!is_token(type) || !is_token(subtype))
    return invalid("content type must look like type/subtype, e.g. text/plain");
  return std::string(sent);
}

}  // namespace kemas
