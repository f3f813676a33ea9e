#pragma once
// tus 1.0 resumable uploads (issue 17), answered by app/services/tus_service:
//   OPTIONS /api/v1/auth/uploads/tus        anyone       the protocol's version and extensions
//   POST    /api/v1/auth/uploads/tus        files:write  creation (Upload-Length, or
//                                                        Upload-Defer-Length: 1; Upload-Metadata
//                                                        with filename and filetype), with the
//                                                        first bytes as its body optionally
//   HEAD    /api/v1/auth/uploads/tus/{id}   files:read   Upload-Offset, never waits for a PATCH
//   PATCH   /api/v1/auth/uploads/tus/{id}   files:write  bytes at Upload-Offset
//                                                        (application/offset+octet-stream;
//                                                        Upload-Checksum: sha256 <base64>)
//   DELETE  /api/v1/auth/uploads/tus/{id}   files:write  termination
// Every answer carries Tus-Resumable: 1.0.0; a request without it (but OPTIONS) is 412.
// The last byte commits through the `upload` command: once it is a file, the PATCH answer
// names it in Kemas-File-Id.

#include "app/server/router.hpp"

namespace kemas::app {
class tus_service;
}  // namespace kemas::app

namespace kemas::http {

void add_tus_routes(router& routes, app::tus_service& tus);

}  // namespace kemas::http
