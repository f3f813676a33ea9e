#pragma once
// auth_guard: the request_guard of kemas-api. For every request, in this order:
//  1. client IP: the peer, or X-Forwarded-For walked from the right when the peer is a
//     trusted proxy (http.trusted_proxies);
//  2. CORS preflight answered from cors.allowed_origins;
//  3. public routes: the `auth` rate class counts per client IP;
//  4. other routes: credentials — `Authorization: Bearer <jwt>` (or the HttpOnly access
//     cookie) checked against its session in Redis in the same round trip as the `general`
//     limit per user; or `Authorization: ApiKey kms_...` looked up by prefix in PostgreSQL,
//     compared in constant time, counted against the `apikey` limit per key;
//  5. authorize(principal, route's access_rule): 403 when the role or the key's scopes fall short.
// A revoked session is refused at once: the session check is part of every request.
// Thread-safety: stateless between requests; safe on every I/O thread.

#include <memory>

#include "adapters/config/settings.hpp"
#include "app/server/request_guard.hpp"
#include "domain/ports/api_key_store.hpp"
#include "domain/ports/request_gate.hpp"

namespace kemas::crypto {
class jwt_codec;
}

namespace kemas::app {

class auth_guard final : public http::request_guard {
 public:
  auth_guard(const config::settings& settings, const crypto::jwt_codec& jwt,
             ports::request_gate& gate, ports::api_key_store& keys);
  ~auth_guard() override;

  std::optional<http::response> preflight(http::request_context& ctx) override;
  boost::asio::awaitable<std::optional<http::response>> admit(http::request_context& ctx,
                                                              const http::route& r) override;
  void finish(const http::request_context& ctx, http::response& res) override;

  struct impl;  // public only so the steps in auth_guard.cpp can name it

 private:
  std::unique_ptr<impl> impl_;
};

}  // namespace kemas::app
