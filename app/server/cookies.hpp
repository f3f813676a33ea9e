#pragma once
// Cookies for browser sessions (cookie mode at login, auth.cookie_mode). kemas sets exactly
// two, both HttpOnly (scripts cannot read them) and SameSite=Lax (not sent on cross-site
// POSTs, the CSRF guard), Secure outside development:
//   kemas_access   the access JWT, Path=/
//   kemas_refresh  the refresh token, Path=/api/v1/auth, so the browser sends it only to
//                  refresh and logout and not with every file request.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "app/server/http_types.hpp"

namespace kemas::http {

inline constexpr std::string_view access_cookie = "kemas_access";
inline constexpr std::string_view refresh_cookie = "kemas_refresh";
inline constexpr std::string_view access_cookie_path = "/";
inline constexpr std::string_view refresh_cookie_path = "/api/v1/auth";

using cookie_map = std::map<std::string, std::string, std::less<>>;

// Parses a Cookie request header leniently (RFC 6265 section 5.4 as browsers send it, plus
// what sloppy clients send): pairs split on ';', blanks around names and values trimmed, one
// pair of surrounding double quotes removed from a value, pairs without '=' or with an empty
// name skipped. When a name repeats, the FIRST wins: browsers list the most specific path
// first. Values are returned as sent (no percent-decoding). Never throws on input.
cookie_map parse_cookies(std::string_view header);

// The value of cookie `name` in the request's Cookie header, if any.
std::optional<std::string> cookie_value(const request_context& req, std::string_view name);

// "name=value; Path=/; Max-Age=N; HttpOnly; SameSite=Lax[; Secure]".
// name must be an RFC 6265 token, value cookie-octets (our tokens are base64url, hex, '.'),
// path printable without ';', max_age_seconds >= 0: anything else is a programming error
// and throws std::invalid_argument (a header must never be built from bad input).
std::string set_cookie(std::string_view name, std::string_view value, std::int64_t max_age_seconds,
                       bool secure, std::string_view path = "/");

// Deletes a cookie set with the same name and path: empty value, Max-Age=0 and an Expires in
// the past for old clients. Same attributes otherwise; same throws as set_cookie.
std::string clear_cookie(std::string_view name, bool secure, std::string_view path = "/");

}  // namespace kemas::http
