#pragma once
// CORS from an allow-list (DESIGN.md "Limits and bad input"). Browsers on a listed origin
// may call the API with credentials (cookies, Authorization); every other origin gets no
// Access-Control-* header at all, so the browser keeps its same-origin wall up.
//
// Origins are compared as scheme://host[:port] with scheme and host case-insensitive, a
// trailing slash ignored and the default port (80 for http, 443 for https) equal to none.
// "null" (sandboxed frames, file://) is never allowed.
//
// The entry "*" allows every origin WITHOUT credentials: the answer is then
// "Access-Control-Allow-Origin: *" and no Allow-Credentials (browsers refuse "*" with
// credentials anyway, and echoing any origin with credentials would let every site act
// as the logged-in user). Listed origins keep credentials when "*" is also present.
//
// Immutable after construction; safe to share between threads.

#include <string_view>
#include <optional>
#include <string>
#include <vector>

#include "app/server/http_types.hpp"

namespace kemas::http {

class cors_policy {
 public:
  explicit cors_policy(std::vector<std::string> allowed_origins);

  // For a CORS preflight (OPTIONS with Origin and Access-Control-Request-Method): the full
  // answer, 204. An allowed origin gets Allow-Origin, Allow-Credentials, Allow-Methods,
  // Allow-Headers (the fixed list; requested headers are never reflected), Max-Age 600;
  // any other origin gets a bare 204. Both carry "Vary: Origin".
  // std::nullopt for every other request: route it as usual.
  std::optional<response> preflight(const request_context& req) const;

  // For an ordinary response: Allow-Origin, Allow-Credentials and Expose-Headers when the
  // request's Origin is allowed; nothing CORS for other origins. Adds (or extends) "Vary:
  // Origin" whenever the answer depends on the Origin, so a cache never hands one origin's
  // headers to another.
  void decorate(const request_context& req, response& res) const;

  // Whether this Origin header value is on the list (exact or via "*").
  bool allows(std::string_view origin) const;
  // Whether it is listed by name: such an origin may send credentials (cookies).
  bool allows_credentials(std::string_view origin) const;

 private:
  enum class grant { none, wildcard, credentialed };
  grant grant_for(std::string_view origin) const;
  // Adds Access-Control-Allow-Origin (and -Credentials) for `origin`; false when it gets none.
  bool allow_origin(response& res, std::string_view origin) const;

  std::vector<std::string> origins_;  // normalised
  bool any_origin_ = false;           // "*" was listed
};

// scheme://host[:port] lower-cased, trailing '/' and a default port dropped.
std::string normalise_origin(std::string_view origin);

}  // namespace kemas::http
