#include "app/routes/session_cookies.hpp"

#include <boost/json/object.hpp>

#include "app/server/cookies.hpp"

namespace kemas::http {
namespace {
bool secure(const config::settings& s) {
  return s.env != config::environment::development;
}
}  // namespace

void set_session_cookies(response& res, const app::token_pair& tokens,
                         const config::settings& settings) {
  res.headers.push_back({"Set-Cookie", set_cookie(access_cookie, tokens.access_token,
                                                  settings.auth.access_ttl.count(),
                                                  secure(settings), access_cookie_path)});
  res.headers.push_back({"Set-Cookie", set_cookie(refresh_cookie, tokens.refresh_token,
                                                  settings.auth.refresh_ttl.count(),
                                                  secure(settings), refresh_cookie_path)});
}

void clear_session_cookies(response& res, const config::settings& settings) {
  res.headers.push_back(
      {"Set-Cookie", clear_cookie(access_cookie, secure(settings), access_cookie_path)});
  res.headers.push_back(
      {"Set-Cookie", clear_cookie(refresh_cookie, secure(settings), refresh_cookie_path)});
}

boost::json::object token_fields(const app::token_pair& tokens, bool cookie_mode) {
  boost::json::object out{{"token_type", "Bearer"}, {"expires_in", tokens.expires_in}};
  if (!cookie_mode) {
    out["access_token"] = tokens.access_token;
    out["refresh_token"] = tokens.refresh_token;
  }
  return out;
}

}  // namespace kemas::http
