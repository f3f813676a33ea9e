// File read routes: list, metadata, rename, download (see files.hpp). The download's
// answer (Range, ETag, 304) is file_download.hpp's, shared with share links.

#include "app/routes/files.hpp"
#include "app/routes/access.hpp"

#include <boost/json/array.hpp>
#include <boost/json/monotonic_resource.hpp>

#include "app/routes/file_download.hpp"
#include "app/routes/json_body.hpp"
#include "app/server/error_response.hpp"
#include "app/services/file_service.hpp"
#include "domain/rfc3339.hpp"

namespace kemas::http {
namespace asio = boost::asio;

namespace {

asio::awaitable<result<response>> list_files(app::file_service& files, request_context& ctx) {
  app::file_list_request req{ctx.query_param("limit"), ctx.query_param("cursor"),
                             ctx.query_param("prefix"), ctx.query_param("sort")};
  auto page = co_await files.list(ctx.who(), std::move(req));
  if (!page)
    co_return file_error(page.error(), ctx.request_id());
  // One arena for the whole answer: a page of 50 files is some 400 JSON nodes, each a heap
  // allocation and free otherwise (measured: a fifth of the api's CPU per list).
  boost::json::monotonic_resource arena;
  auto out = page_json("files", page->list.files, page->next_cursor, file_json, &arena);
  out["total"] = page->list.total;
  out["used_bytes"] = page->list.used_bytes;
  out["quota_bytes"] = page->list.quota_bytes;
  co_return json_response(200, out);
}

asio::awaitable<result<response>> get_file(app::file_service& files, request_context& ctx) {
  auto found = co_await files.get(ctx.who(), ctx.path_param("id"));
  if (!found)
    co_return file_error(found.error(), ctx.request_id());
  co_return json_response(200, file_json(*found));
}

asio::awaitable<result<response>> rename_file(app::file_service& files, request_context& ctx) {
  auto body = co_await read_json_object(ctx);
  if (!body)
    co_return file_error(body.error(), ctx.request_id());
  auto name = string_field(*body, "name");
  if (!name)
    co_return file_error(name.error(), ctx.request_id());
  auto renamed = co_await files.rename(ctx.who(), ctx.path_param("id"), std::move(*name));
  if (!renamed)
    co_return file_error(renamed.error(), ctx.request_id());
  co_return json_response(200, file_json(*renamed));
}

asio::awaitable<result<response>> download_file(app::file_service& files, request_context& ctx) {
  auto found = co_await files.find_downloadable(ctx.who(), ctx.path_param("fileID"));
  if (!found)
    co_return file_error(found.error(), ctx.request_id());
  const download_options options;
  auto answer = co_await download_response(files, ctx, *found, options);
  if (!answer)
    co_return file_error(answer.error(), ctx.request_id());
  co_return answer;
}

}  // namespace

response file_error(const error& e, std::string_view request_id) {
  if (e.code == errc::conflict && e.field == "name")
    return response::json(409, error_body("name_taken", e.message, request_id, "name"));
  return error_response(e, request_id);
}

boost::json::object file_json(const model::file& file, boost::json::storage_ptr storage) {
  const timestamp created{std::chrono::milliseconds(file.created_us / 1000)};
  return boost::json::object{{{"id", file.id.to_string()},
                              {"name", file.name},
                              {"size", file.size},
                              {"sha256", file.sha256},
                              {"content_type", file.content_type},
                              {"state", model::to_string(file.state)},
                              {"created_at", format_rfc3339(created)}},
                             std::move(storage)};
}

void add_file_read_routes(router& routes, app::file_service& files) {
  // Budgets in PostgreSQL statements (authentication costs none: JWT + one Redis call).
  // list: the page and the totals in one statement.
  routes.add(method::get, "/api/v1/auth/files/list", access::files_read.costing(1),
             serve(files, list_files));
  routes.add(method::get, "/api/v1/auth/files/{id}", access::files_read.costing(1),
             serve(files, get_file));
  // rename: the current row, then the UPDATE (none when the name is unchanged).
  routes.add(method::patch, "/api/v1/auth/files/{id}", access::files_write.costing(2),
             serve(files, rename_file));
  // download: the row, and whether the plan ran out (a past-due plan locks files at once).
  routes.add(method::get, "/api/v1/auth/files/download/{fileID}", access::files_read.costing(2),
             serve(files, download_file));
}

}  // namespace kemas::http
