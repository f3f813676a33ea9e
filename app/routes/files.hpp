#pragma once
// File read routes (issue 4), answered by the api itself without a command:
//   GET   /api/v1/auth/files/list                  files:read  (list, paging, totals)
//   GET   /api/v1/auth/files/{id}                  files:read  (metadata)
//   PATCH /api/v1/auth/files/{id} {"name"}         files:write (rename)
//   GET   /api/v1/auth/files/download/{fileID}     files:read  (streamed; Range, ETag; HEAD too)
// Sessions may do all of them; an API key needs the scope named. Another user's file, a
// malformed id and a deleted file are 404.

#include <boost/json/object.hpp>

#include "domain/model/file.hpp"
#include "app/server/router.hpp"

namespace kemas::app {
class file_service;
class upload_service;
class delete_service;
}

namespace kemas::http {

void add_file_read_routes(router& routes, app::file_service& files);
// Upload, upload status and delete (uploads.cpp): commands for the workers.
void add_file_command_routes(router& routes, app::upload_service& uploads,
                             app::delete_service& deletes);

// The error answer of the file routes: as error_response, but a taken name is 409 with the
// code `name_taken` (the name for it) rather than the generic `conflict`.
response file_error(const error& e, std::string_view request_id);

// {"id","name","size","sha256","content_type","state","created_at"}: the file JSON of the API.
// `storage`: where the object's nodes live (default: the heap).
boost::json::object file_json(const model::file& file, boost::json::storage_ptr storage = {});

}  // namespace kemas::http
