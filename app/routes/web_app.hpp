#pragma once
// The web app's routes: its pages (index.html) and its content-hashed assets, served from
// memory (web_bundle.hpp) with ETags, gzip when the client takes it, and the strict
// Content-Security-Policy the pages are written for (no inline script or style).

#include "app/server/router.hpp"

namespace kemas::http {

void add_web_app_routes(router& routes);

}  // namespace kemas::http
