#pragma once
// Share link routes (issue 17):
//   POST   /api/v1/auth/shares              files:write  create a link to one of your files
//   GET    /api/v1/auth/shares              files:read   your links, newest first
//   DELETE /api/v1/auth/shares/{id}         files:write  revoke one
//   GET    /s/{token}                       public       the file, streamed (HEAD, Range, ETag)
// A password link takes its password as HTTP Basic credentials (any user name; browsers ask
// for it themselves after the 401's WWW-Authenticate) or in the X-Share-Password header.

#include <string>

#include "app/server/router.hpp"

namespace kemas::app {
class share_service;
class file_service;
}  // namespace kemas::app

namespace kemas::http {

// `public_base_url` starts the link's url in the creation's answer (mail.public_base_url).
void add_share_routes(router& routes, app::share_service& shares, app::file_service& files,
                      std::string public_base_url);

}  // namespace kemas::http
