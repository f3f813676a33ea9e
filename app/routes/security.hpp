#pragma once
// A signed-in user's own sessions and security activity: see security.cpp.

#include "app/server/router.hpp"

namespace kemas::app {
class security_service;
}

namespace kemas::http {

void add_security_routes(router& routes, app::security_service& security);

}  // namespace kemas::http
