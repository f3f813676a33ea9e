#pragma once
// Wire formats of the secrets kemas hands out. Parsing is strict so a malformed credential is
// refused before any lookup. Only hashes of the secret parts are ever stored.
//   refresh token:  "<session_id>.<secret>"   session_id: 32 lower-hex, secret: 43 base64url
//   API key:        "kms_<prefix>_<secret>"   prefix: 12 lower-hex, secret: 43 base64url

#include <optional>
#include <string>
#include <string_view>

namespace kemas {

struct refresh_token_parts {
  std::string_view session_id;
  std::string_view secret;
};

struct api_key_parts {
  std::string_view prefix;
  std::string_view secret;
};

inline constexpr std::size_t session_id_length = 32;
inline constexpr std::size_t api_key_prefix_length = 12;
inline constexpr std::size_t secret_length = 43;  // 32 bytes in base64url without padding

bool is_lower_hex(std::string_view text) noexcept;
bool is_base64url(std::string_view text) noexcept;

std::optional<refresh_token_parts> parse_refresh_token(std::string_view token) noexcept;
std::string format_refresh_token(std::string_view session_id, std::string_view secret);

std::optional<api_key_parts> parse_api_key(std::string_view key) noexcept;
std::string format_api_key(std::string_view prefix, std::string_view secret);

}  // namespace kemas
