#include "domain/text.hpp"

namespace kemas {
namespace {

constexpr bool is_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

template <class Strip>
std::string_view trim_with(std::string_view text, Strip strip) noexcept {
  while (!text.empty() && strip(text.front()))
    text.remove_prefix(1);
  while (!text.empty() && strip(text.back()))
    text.remove_suffix(1);
  return text;
}

}  // namespace

std::string_view trim_ows(std::string_view text) noexcept {
  return trim_with(text, is_ows);
}

std::string_view trim_space(std::string_view text) noexcept {
  return trim_with(text, is_space);
}

std::string ascii_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    c = ascii_lower(c);
  return out;
}

std::string ascii_upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z')
      c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && istarts_with(a, b);
}

bool istarts_with(std::string_view text, std::string_view prefix) noexcept {
  if (text.size() < prefix.size())
    return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (ascii_lower(text[i]) != ascii_lower(prefix[i]))
      return false;
  }
  return true;
}

}  // namespace kemas
