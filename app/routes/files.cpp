// File read routes: list, metadata, rename, download (see files.hpp). Downloads follow RFC
// 9110: strong ETag = the SHA-256, one Range served as 206 (several: 200 whole), If-Range,
// If-None-Match (304). The api computes every range itself and asks S3 for exactly those bytes.

#include "app/routes/files.hpp"
#include "app/routes/access.hpp"

#include <boost/json/array.hpp>

#include "app/routes/json_body.hpp"
#include "app/server/error_response.hpp"
#include "app/services/file_service.hpp"
#include "domain/byte_range.hpp"
#include "domain/content_disposition.hpp"
#include "domain/rfc3339.hpp"
#include "domain/text.hpp"

namespace kemas::http {
namespace asio = boost::asio;

namespace {

// A source never read: HEAD answers describe the body without fetching it from S3.
class no_body final : public body_source {
 public:
  asio::awaitable<result<std::string_view>> next() override { co_return std::string_view{}; }
};

std::string strong_etag(const model::file& file) {
  return "\"" + file.sha256 + "\"";
}

// If-None-Match uses the weak comparison (RFC 9110 13.1.2): "W/" is ignored on either side.
bool none_match(std::string_view header, std::string_view etag) {
  if (trim_ows(header) == "*")
    return true;
  while (!header.empty()) {
    const auto comma = header.find(',');
    std::string_view tag = trim_ows(header.substr(0, comma));
    if (tag.starts_with("W/"))
      tag.remove_prefix(2);
    if (tag == etag)
      return true;
    if (comma == std::string_view::npos)
      break;
    header.remove_prefix(comma + 1);
  }
  return false;
}

asio::awaitable<result<response>> list_files(app::file_service& files, request_context& ctx) {
  app::file_list_request req{ctx.query_param("limit"), ctx.query_param("cursor"),
                             ctx.query_param("prefix"), ctx.query_param("sort")};
  auto page = co_await files.list(ctx.who(), std::move(req));
  if (!page)
    co_return file_error(page.error(), ctx.request_id());
  auto out = page_json("files", page->list.files, page->next_cursor, file_json);
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

// The headers every answer about the representation carries (200, 206, 304, 416).
void describe(response& r, const model::file& file) {
  r.with_header("ETag", strong_etag(file));
  r.with_header("Accept-Ranges", "bytes");
  r.with_header("Cache-Control", "private, no-cache");
}

asio::awaitable<result<response>> download_file(app::file_service& files, request_context& ctx) {
  auto found = co_await files.find_downloadable(ctx.who(), ctx.path_param("fileID"));
  if (!found)
    co_return file_error(found.error(), ctx.request_id());
  const auto& file = *found;
  const std::string etag = strong_etag(file);

  if (auto inm = ctx.header("If-None-Match"); inm && none_match(*inm, etag)) {
    auto r = response::empty(304);
    describe(r, file);
    co_return r;
  }

  // If-Range with another validator (or a date: we keep no Last-Modified) means "send all".
  std::string_view range_header;
  if (auto range = ctx.header("Range")) {
    auto if_range = ctx.header("If-Range");
    if (!if_range || trim_ows(*if_range) == etag)
      range_header = *range;
  }
  const auto selection = select_range(range_header, file.size);
  if (selection.outcome == range_outcome::unsatisfiable) {
    auto r = error_response(errc::range_not_satisfiable, "the requested range is not satisfiable",
                            ctx.request_id());
    r.with_header("Content-Range", unsatisfied_range_header(file.size));
    describe(r, file);
    co_return r;
  }

  const bool partial = selection.outcome == range_outcome::partial;
  response r;
  r.status = partial ? 206 : 200;
  r.content_type = file.content_type;
  describe(r, file);
  r.with_header("Content-Disposition", content_disposition(file.name));
  if (partial)
    r.with_header("Content-Range", content_range_header(selection.range, file.size));
  r.stream_length = partial ? selection.range.length() : file.size;

  if (r.stream_length == 0) {
    r.body.clear();  // an empty file: nothing to fetch
    co_return r;
  }
  if (ctx.verb() == method::head) {
    r.stream = std::make_shared<no_body>();
    co_return r;
  }
  std::optional<byte_range> wanted;
  if (partial)
    wanted = selection.range;
  auto source = co_await files.open_object(file, wanted);
  if (!source)
    co_return file_error(source.error(), ctx.request_id());
  r.stream = std::move(*source);
  co_return r;
}

}  // namespace

response file_error(const error& e, std::string_view request_id) {
  if (e.code == errc::conflict && e.field == "name")
    return response::json(409, error_body("name_taken", e.message, request_id, "name"));
  return error_response(e, request_id);
}

boost::json::object file_json(const model::file& file) {
  const timestamp created{std::chrono::milliseconds(file.created_us / 1000)};
  return boost::json::object{{"id", file.id.to_string()},
                             {"name", file.name},
                             {"size", file.size},
                             {"sha256", file.sha256},
                             {"content_type", file.content_type},
                             {"state", model::to_string(file.state)},
                             {"created_at", format_rfc3339(created)}};
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
