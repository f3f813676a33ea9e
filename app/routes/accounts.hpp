#pragma once
// Route groups for accounts:
//   user.cpp  POST /api/v1/user/register, /user/login, /user/password-reset,
//   /user/password-reset/confirm auth.cpp  POST /api/v1/auth/refresh, /auth/logout,
//   /auth/logout-all, /auth/password; GET /auth/me keys.cpp  POST|GET /api/v1/auth/keys, DELETE
//   /api/v1/auth/keys/{id}

#include "adapters/config/settings.hpp"
#include "app/server/router.hpp"
#include "app/services/account_service.hpp"

namespace kemas::app {
class api_key_service;
}  // namespace kemas::app

namespace kemas::http {

// Who asked, for the services' events, logs and session list. The User-Agent is the
// client's text: bounded and without control characters before anything stores it.
inline app::request_meta meta_of(const request_context& ctx) {
  constexpr std::size_t max_user_agent = 256;
  std::string agent;
  if (auto header = ctx.header("User-Agent")) {
    for (char c : *header) {
      if (agent.size() == max_user_agent)
        break;
      if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f)
        agent += c;
    }
  }
  return {ctx.request_id(), ctx.client_ip(), std::move(agent)};
}

void add_user_routes(router& routes, app::account_service& accounts,
                     const config::settings& settings);
void add_auth_routes(router& routes, app::account_service& accounts,
                     const config::settings& settings);
void add_key_routes(router& routes, app::api_key_service& keys);

}  // namespace kemas::http
