#pragma once
// request_guard: what stands between a matched route and its handler — CORS, client IP,
// authentication, rate limiting and authorization. The server knows only this interface;
// app/auth/ implements it with Redis, PostgreSQL and the JWT codec.

#include <optional>

#include "app/server/http_types.hpp"
#include "app/server/router.hpp"

namespace kemas::http {

class request_guard {
 public:
  virtual ~request_guard() = default;

  // Before routing: a CORS preflight is answered here (it matches no route).
  virtual std::optional<response> preflight(request_context& ctx) = 0;

  // After routing, before the handler: sets the client IP and the caller; returns the
  // response to send instead (401, 403, 429, 503) or nothing to run the handler.
  virtual boost::asio::awaitable<std::optional<response>> admit(request_context& ctx,
                                                                const route& r) = 0;

  // On every response (also errors): CORS and rate-limit headers.
  virtual void finish(const request_context& ctx, response& res) = 0;
};

}  // namespace kemas::http
