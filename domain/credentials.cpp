#include "domain/credentials.hpp"

#include <algorithm>

namespace kemas {

bool is_lower_hex(std::string_view text) noexcept {
  return std::ranges::all_of(
      text, [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool is_base64url(std::string_view text) noexcept {
  return std::ranges::all_of(text, [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  });
}

std::optional<refresh_token_parts> parse_refresh_token(std::string_view token) noexcept {
  if (token.size() != session_id_length + 1 + secret_length || token[session_id_length] != '.')
    return std::nullopt;
  const auto sid = token.substr(0, session_id_length);
  const auto secret = token.substr(session_id_length + 1);
  if (!is_lower_hex(sid) || !is_base64url(secret))
    return std::nullopt;
  return refresh_token_parts{sid, secret};
}

std::string format_refresh_token(std::string_view session_id, std::string_view secret) {
  return std::string(session_id) + "." + std::string(secret);
}

std::optional<api_key_parts> parse_api_key(std::string_view key) noexcept {
  constexpr std::string_view tag = "kms_";
  if (key.size() != tag.size() + api_key_prefix_length + 1 + secret_length ||
      !key.starts_with(tag)) {
    return std::nullopt;
  }
  const auto prefix = key.substr(tag.size(), api_key_prefix_length);
  if (key[tag.size() + api_key_prefix_length] != '_')
    return std::nullopt;
  const auto secret = key.substr(tag.size() + api_key_prefix_length + 1);
  if (!is_lower_hex(prefix) || !is_base64url(secret))
    return std::nullopt;
  return api_key_parts{prefix, secret};
}

std::string format_api_key(std::string_view prefix, std::string_view secret) {
  return "kms_" + std::string(prefix) + "_" + std::string(secret);
}

}  // namespace kemas
