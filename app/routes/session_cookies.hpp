#pragma once
// Cookie mode for browsers (seed 004): the access and refresh tokens travel as HttpOnly,
// SameSite=Lax cookies (Secure outside development) instead of in the JSON body.

#include "adapters/config/settings.hpp"
#include "app/server/http_types.hpp"
#include "app/services/account_service.hpp"

namespace kemas::http {

void set_session_cookies(response& res, const app::token_pair& tokens,
                         const config::settings& settings);
void clear_session_cookies(response& res, const config::settings& settings);
// The body's fields for a token pair: tokens themselves only when not in cookie mode.
boost::json::object token_fields(const app::token_pair& tokens, bool cookie_mode);

}  // namespace kemas::http
