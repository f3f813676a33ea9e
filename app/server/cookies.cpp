#include "app/server/cookies.hpp"
#include "domain/text.hpp"

#include <algorithm>
#include <stdexcept>

namespace kemas::http {
namespace {

bool is_token_char(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
    return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// RFC 6265 cookie-octet: visible ASCII except '"', ',', ';' and '\'.
bool is_cookie_octet(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u >= 0x21 && u <= 0x7e && c != '"' && c != ',' && c != ';' && c != '\\';
}

void check(std::string_view name, std::string_view value, std::string_view path) {
  if (name.empty() || !std::ranges::all_of(name, is_token_char))
    throw std::invalid_argument("cookie name is not a token: " + std::string(name));
  if (!std::ranges::all_of(value, is_cookie_octet))
    throw std::invalid_argument("cookie value has characters a cookie cannot carry");
  const bool path_ok = path.starts_with('/') && std::ranges::all_of(path, [](char c) {
                         const auto u = static_cast<unsigned char>(c);
                         return u >= 0x20 && u < 0x7f && c != ';';
                       });
  if (!path_ok)
    throw std::invalid_argument("cookie path is not an absolute path: " + std::string(path));
}

std::string attributes(bool secure) {
  std::string out = "; HttpOnly; SameSite=Lax";
  if (secure)
    out += "; Secure";
  return out;
}

}  // namespace

cookie_map parse_cookies(std::string_view header) {
  cookie_map out;
  while (!header.empty()) {
    const auto semi = header.find(';');
    const auto pair = header.substr(0, semi);
    header = semi == std::string_view::npos ? std::string_view{} : header.substr(semi + 1);

    const auto eq = pair.find('=');
    if (eq == std::string_view::npos)
      continue;
    const auto name = trim_ows(pair.substr(0, eq));
    auto value = trim_ows(pair.substr(eq + 1));
    if (name.empty())
      continue;
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    out.try_emplace(std::string(name), value);  // first one wins
  }
  return out;
}

std::optional<std::string> cookie_value(const request_context& req, std::string_view name) {
  const auto header = req.header("Cookie");
  if (!header)
    return std::nullopt;
  auto cookies = parse_cookies(*header);
  const auto it = cookies.find(name);
  if (it == cookies.end())
    return std::nullopt;
  return std::move(it->second);
}

std::string set_cookie(std::string_view name, std::string_view value, std::int64_t max_age_seconds,
                       bool secure, std::string_view path) {
  check(name, value, path);
  if (max_age_seconds < 0)
    throw std::invalid_argument("cookie Max-Age must not be negative");
  std::string out;
  out.reserve(name.size() + value.size() + path.size() + 64);
  out.append(name).append("=").append(value);
  out.append("; Path=").append(path);
  out.append("; Max-Age=").append(std::to_string(max_age_seconds));
  out += attributes(secure);
  return out;
}

std::string clear_cookie(std::string_view name, bool secure, std::string_view path) {
  check(name, {}, path);
  std::string out;
  out.append(name).append("=; Path=").append(path);
  out.append("; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT");
  out += attributes(secure);
  return out;
}

}  // namespace kemas::http
