#pragma once
// ASCII text helpers for protocol text (HTTP headers, media types, configuration values),
// where case-insensitivity and whitespace are ASCII-only by definition: no locale, no
// Unicode. The one home for these; pure and thread-safe.

#include <string>
#include <string_view>

namespace kemas {

// HTTP's optional whitespace (RFC 9110 §5.6.3): space and horizontal tab.
constexpr bool is_ows(char c) noexcept {
  return c == ' ' || c == '\t';
}
// Without leading and trailing optional whitespace.
std::string_view trim_ows(std::string_view text) noexcept;
// Without leading and trailing ASCII whitespace (space, \t, \n, \v, \f, \r).
std::string_view trim_space(std::string_view text) noexcept;

constexpr char ascii_lower(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}
std::string ascii_lower(std::string_view text);
std::string ascii_upper(std::string_view text);

// ASCII case-insensitive comparisons.
bool iequals(std::string_view a, std::string_view b) noexcept;
bool istarts_with(std::string_view text, std::string_view prefix) noexcept;

}  // namespace kemas
