#include "app/server/csrf.hpp"

#include "app/server/cors.hpp"
#include "domain/text.hpp"

namespace kemas::http {

namespace {

bool changes_state(method m) {
  return m != method::get && m != method::head && m != method::options;
}

// Origin "https://files.example.com" is the request's own when its authority is the Host
// the request was sent to (scheme aside: TLS may end at a proxy).
bool same_origin(std::string_view origin, std::optional<std::string_view> host) {
  if (!host || host->empty())
    return false;
  const std::string normal = normalise_origin(origin);
  const auto scheme_end = normal.find("://");
  if (scheme_end == std::string::npos)
    return false;
  const std::string_view authority = std::string_view(normal).substr(scheme_end + 3);
  const std::string own = normalise_origin(std::string(normal.substr(0, scheme_end + 3)) +
                                           std::string(*host));
  return !authority.empty() && normal == own;
}

}  // namespace

result<void> check_cookie_request(const request_context& req, const cors_policy& cors) {
  if (!changes_state(req.verb()))
    return {};
  const auto origin = req.header("Origin");
  if (!origin || origin->empty() || *origin == "null") {
    return make_error(errc::forbidden,
                      "a browser session's request that changes state must carry Origin");
  }
  if (!same_origin(*origin, req.header("Host")) && !cors.allows_credentials(*origin))
    return make_error(errc::forbidden, "requests from this origin may not use the session cookie");
  const auto marker = req.header("X-Requested-With");
  if (!marker || marker->empty()) {
    return make_error(errc::forbidden,
                      "a browser session's request that changes state must carry "
                      "X-Requested-With");
  }
  return {};
}

}  // namespace kemas::http
