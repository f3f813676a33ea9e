#pragma once
// Cross-site request forgery guard for browser sessions (cookie mode). A browser attaches
// kemas's cookies to any request sent to kemas, whichever site made it; SameSite=Lax stops
// cross-site POSTs from forms in current browsers but not from a sibling subdomain, an old
// browser, or a GET that changes state. So a request whose credential is a kemas cookie and
// whose method changes state (anything but GET, HEAD and OPTIONS) must also:
//  - carry an Origin that is the API's own (the Host it was sent to) or one listed by name
//    in cors.allowed_origins; and
//  - carry the header X-Requested-With (any value). An HTML form cannot send it, and a script
//    on another origin can only after a CORS preflight, which only listed origins pass.
// Requests that carry their credential in Authorization (tokens, API keys) are not exposed
// to forgery and are not checked.

#include "app/server/http_types.hpp"
#include "domain/result.hpp"

namespace kemas::http {

class cors_policy;

// forbidden (403) naming what is missing, or success. Only call it for cookie credentials.
result<void> check_cookie_request(const request_context& req, const cors_policy& cors);

}  // namespace kemas::http
