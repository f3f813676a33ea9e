#pragma once
// Who may call a route and which rate-limit class it counts against (DESIGN.md "Redis"), named
// once for every route group, and the one way a route is bound to its service.

#include "app/server/router.hpp"

namespace kemas::http::access {

// Register, login, refresh, password reset, the internal route: anyone, `auth` per client IP.
inline const route_options public_auth{access_rule::anyone(), rate_class::auth, false};
// Health checks and the metrics scrape: anyone, no limit, request lines logged at debug.
inline const route_options probe{access_rule::anyone(), rate_class::none, false, true};
// The plan catalog: anyone, no limit (cacheable).
inline const route_options public_cheap{access_rule::anyone(), rate_class::none, false};
// A share link's public GET /s/{token}: anyone; its limits (per client IP, per link, wrong
// passwords) are the share service's, keyed by what only it knows (the link).
inline const route_options share_link{access_rule::anyone(), rate_class::none, false};
// A signed-in user's session (never an API key): keys, billing, logout, password.
inline const route_options session_only{access_rule::signed_in(), rate_class::general, false};
inline const route_options admin_only{access_rule::at_least(role::admin), rate_class::general,
                                      false};
// Files: a session, or an API key with the scope.
inline const route_options files_read{access_rule::with_scope(scope::files_read),
                                      rate_class::general, false};
inline const route_options files_write{access_rule::with_scope(scope::files_write),
                                       rate_class::general, false};
// An upload: files_write, and its body streams beyond http.body_limit.
inline const route_options files_upload{access_rule::with_scope(scope::files_write),
                                        rate_class::general, true};

}  // namespace kemas::http::access

namespace kemas::http {

// A handler that calls `fn(service, ctx)`; the service must outlive the router.
template <class Service>
handler serve(Service& service,
              boost::asio::awaitable<result<response>> (*fn)(Service&, request_context&)) {
  return [&service, fn](request_context& ctx) { return fn(service, ctx); };
}

}  // namespace kemas::http
