#include "app/routes/tus.hpp"

#include <charconv>
#include <ctime>
#include <limits>

#include "app/routes/access.hpp"
#include "app/routes/command_requests.hpp"
#include "app/routes/files.hpp"
#include "app/routes/upload_body.hpp"
#include "app/server/error_response.hpp"
#include "app/services/tus_service.hpp"
#include "domain/base64.hpp"
#include "domain/text.hpp"

namespace kemas::http {
namespace asio = boost::asio;

namespace {

constexpr std::string_view tus_version = "1.0.0";
constexpr std::string_view tus_extensions =
    "creation,creation-with-upload,creation-defer-length,expiration,checksum,termination";
constexpr std::string_view collection = "/api/v1/auth/uploads/tus";
constexpr std::string_view offset_media_type = "application/offset+octet-stream";
// The session's stream limit for a tus body; the service stops at the upload's own limits.
constexpr std::uint64_t no_wire_limit = std::numeric_limits<std::uint64_t>::max();

// (GCC 12 warns falsely about std::string's operator+ on temporaries: -Warray-bounds.)
template <class... Parts>
std::string concat(const Parts&... parts) {
  std::string out;
  (out.append(std::string_view(parts)), ...);
  return out;
}

response tus_answer(response r) {
  r.with_header("Tus-Resumable", std::string(tus_version));
  return r;
}

response tus_error(const error& e, std::string_view request_id) {
  auto r = tus_answer(file_error(e, request_id));
  if (e.code == errc::precondition_failed)
    r.with_header("Tus-Version", std::string(tus_version));
  return r;
}

response bad_header(std::string_view header, std::string message, std::string_view request_id) {
  return tus_error(make_error(errc::bad_request, std::move(message), std::string(header)),
                   request_id);
}

// RFC 9110 IMF-fixdate, the form Upload-Expires takes.
std::string http_date(timestamp when) {
  const std::time_t t = std::chrono::system_clock::to_time_t(
      std::chrono::time_point_cast<std::chrono::seconds>(when));
  std::tm utc{};
  gmtime_r(&t, &utc);
  char out[40];
  const std::size_t n = std::strftime(out, sizeof out, "%a, %d %b %Y %H:%M:%S GMT", &utc);
  return std::string(out, n);
}

// A non-negative decimal integer header (Upload-Offset, Upload-Length); nullopt when absent.
// An error when present and malformed.
result<std::optional<std::uint64_t>> number_header(const request_context& ctx,
                                                   std::string_view name) {
  const auto text = ctx.header(name);
  if (!text)
    return std::optional<std::uint64_t>{};
  const std::string_view digits = trim_ows(*text);
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() ||
      value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
    return make_error(errc::bad_request, concat(name, " must be a non-negative integer"),
                      std::string(name));
  return std::optional<std::uint64_t>{value};
}

// Tus-Resumable: 1.0.0 on every request but OPTIONS.
std::optional<response> version_refused(const request_context& ctx) {
  const auto version = ctx.header("Tus-Resumable");
  if (version && trim_ows(*version) == tus_version)
    return std::nullopt;
  return tus_error(make_error(errc::precondition_failed,
                              "this server speaks tus 1.0.0: send Tus-Resumable: 1.0.0",
                              "Tus-Resumable"),
                   ctx.request_id());
}

bool carries_offset_body(const request_context& ctx) {
  const auto type = ctx.header("Content-Type");
  return type && istarts_with(trim_ows(*type), offset_media_type);
}

void position_headers(response& r, const app::tus_position& at) {
  r.with_header("Upload-Offset", std::to_string(at.offset));
  if (at.finished) {
    if (at.finished->file)
      r.with_header("Kemas-File-Id", at.finished->file->id.to_string());
    else
      r.with_header("Kemas-Upload-State", std::string(model::to_string(at.finished->upload.state)));
  } else {
    r.with_header("Upload-Expires", http_date(at.expires_at));
  }
}

std::string location_of(const uuid& id) {
  return concat(collection, "/", id.to_string());
}

asio::awaitable<result<response>> options(app::tus_service&, request_context&) {
  auto r = tus_answer(response::empty(204));
  r.with_header("Tus-Version", std::string(tus_version));
  r.with_header("Tus-Extension", std::string(tus_extensions));
  r.with_header("Tus-Checksum-Algorithm", "sha256");
  co_return r;
}

asio::awaitable<result<response>> create(app::tus_service& tus, request_context& ctx) {
  if (auto refused = version_refused(ctx))
    co_return *refused;
  auto length = number_header(ctx, "Upload-Length");
  if (!length)
    co_return tus_error(length.error(), ctx.request_id());
  const auto defer = ctx.header("Upload-Defer-Length");
  if (defer && trim_ows(*defer) != "1")
    co_return bad_header("Upload-Defer-Length", "Upload-Defer-Length must be 1", ctx.request_id());
  if (length->has_value() == defer.has_value())
    co_return bad_header("Upload-Length", "send either Upload-Length or Upload-Defer-Length: 1",
                         ctx.request_id());
  app::tus_creation request;
  request.length = *length;
  request.metadata = std::string(ctx.header("Upload-Metadata").value_or(""));
  request.origin = origin_of(ctx);
  const bool with_body = carries_offset_body(ctx);
  const auto content_length = ctx.content_length();
  if (!with_body && content_length.value_or(0) > 0)
    co_return tus_error(make_error(errc::unsupported_media_type,
                                   "a creation's body must be application/offset+octet-stream",
                                   "Content-Type"),
                        ctx.request_id());

  raw_file_body body(ctx.body(), no_wire_limit);
  if (with_body && request.length && content_length == request.length &&
      *request.length <= tus.inline_max()) {
    auto stored = co_await tus.create_whole(ctx.who(), std::move(request), body);
    if (!stored)
      co_return tus_error(stored.error(), ctx.request_id());
    auto r = tus_answer(response::empty(201));
    r.with_header("Location", location_of(stored->upload.id));
    r.with_header("Upload-Offset", std::to_string(**length));
    if (stored->file)
      r.with_header("Kemas-File-Id", stored->file->id.to_string());
    co_return r;
  }

  auto created = co_await tus.create(ctx.who(), std::move(request));
  if (!created)
    co_return tus_error(created.error(), ctx.request_id());
  const std::string location = location_of(created->id);
  if (!with_body && created->length != std::uint64_t{0}) {
    auto r = tus_answer(response::empty(201));
    r.with_header("Location", location);
    r.with_header("Upload-Expires", http_date(created->expires_at));
    co_return r;
  }
  // creation-with-upload (or an empty file, complete at once): the body is the first PATCH.
  app::tus_chunk chunk;
  chunk.offset = 0;
  chunk.content_length = with_body ? content_length : std::optional<std::uint64_t>{0};
  chunk.origin = origin_of(ctx);
  const std::string id = created->id.to_string();
  auto appended = co_await tus.append(ctx.who(), id, std::move(chunk), body);
  if (!appended) {
    // The upload exists: its Location lets the client resume from what HEAD reports.
    auto r = tus_error(appended.error(), ctx.request_id());
    r.with_header("Location", location);
    co_return r;
  }
  auto r = tus_answer(response::empty(201));
  r.with_header("Location", location);
  position_headers(r, *appended);
  co_return r;
}

asio::awaitable<result<response>> head(app::tus_service& tus, request_context& ctx) {
  if (auto refused = version_refused(ctx))
    co_return *refused;
  auto found = co_await tus.find(ctx.who(), ctx.path_param("id"));
  if (!found)
    co_return tus_error(found.error(), ctx.request_id());
  auto r = tus_answer(response::empty(200));
  r.with_header("Cache-Control", "no-store");
  r.with_header("Upload-Offset", std::to_string(found->offset));
  if (found->length)
    r.with_header("Upload-Length", std::to_string(*found->length));
  else
    r.with_header("Upload-Defer-Length", "1");
  if (!found->metadata.empty())
    r.with_header("Upload-Metadata", found->metadata);
  if (found->state == model::tus_state::open)
    r.with_header("Upload-Expires", http_date(found->expires_at));
  if (found->state == model::tus_state::committed)
    r.with_header("Kemas-File-Id", found->file_id.to_string());
  co_return r;
}

asio::awaitable<result<response>> patch(app::tus_service& tus, request_context& ctx) {
  if (auto refused = version_refused(ctx))
    co_return *refused;
  if (!carries_offset_body(ctx))
    co_return tus_error(make_error(errc::unsupported_media_type,
                                   "a PATCH body must be application/offset+octet-stream",
                                   "Content-Type"),
                        ctx.request_id());
  auto offset = number_header(ctx, "Upload-Offset");
  if (!offset)
    co_return tus_error(offset.error(), ctx.request_id());
  if (!offset->has_value())
    co_return bad_header("Upload-Offset", "Upload-Offset is missing", ctx.request_id());
  auto length = number_header(ctx, "Upload-Length");
  if (!length)
    co_return tus_error(length.error(), ctx.request_id());

  app::tus_chunk chunk;
  chunk.offset = **offset;
  chunk.length = *length;
  chunk.content_length = ctx.content_length();
  chunk.origin = origin_of(ctx);
  if (const auto checksum = ctx.header("Upload-Checksum")) {
    const std::string_view text = trim_ows(*checksum);
    const auto space = text.find(' ');
    if (space == std::string_view::npos || !iequals(text.substr(0, space), "sha256"))
      co_return bad_header("Upload-Checksum", "Upload-Checksum must be 'sha256 <base64 digest>'",
                           ctx.request_id());
    auto digest = base64_decode(trim_ows(text.substr(space + 1)));
    if (!digest || digest->size() != 32)
      co_return bad_header("Upload-Checksum", "the sha256 digest must be 32 bytes in base64",
                           ctx.request_id());
    chunk.sha256 = std::move(*digest);
  }
  raw_file_body body(ctx.body(), no_wire_limit);
  const std::string id(ctx.path_param("id"));
  auto appended = co_await tus.append(ctx.who(), id, std::move(chunk), body);
  if (!appended)
    co_return tus_error(appended.error(), ctx.request_id());
  auto r = tus_answer(response::empty(204));
  position_headers(r, *appended);
  co_return r;
}

asio::awaitable<result<response>> terminate(app::tus_service& tus, request_context& ctx) {
  if (auto refused = version_refused(ctx))
    co_return *refused;
  auto ended = co_await tus.terminate(ctx.who(), ctx.path_param("id"));
  if (!ended)
    co_return tus_error(ended.error(), ctx.request_id());
  co_return tus_answer(response::empty(204));
}

}  // namespace

void add_tus_routes(router& routes, app::tus_service& tus) {
  const std::string one = concat(collection, "/{id}");
  routes.add(method::options, std::string(collection), access::public_cheap.costing(0),
             serve(tus, options));
  // Budgets in PostgreSQL statements. A creation: the admission read and the insert with its
  // reservation (2); with a body, what a PATCH costs on top. A PATCH: the take-over (1), one
  // per part S3 acknowledged, one for where the body ended; the last byte adds the parts'
  // list, the commit's start and what an upload's commit costs (POST /files/upload). Not
  // stated: it grows with the body (one statement per upload.part_size).
  routes.add(method::post, std::string(collection), access::files_upload, serve(tus, create));
  routes.add(method::patch, one, access::files_upload, serve(tus, patch));
  // HEAD: one read (the upload, or the file it became).
  routes.add(method::head, one, access::files_read.costing(1), serve(tus, head));
  // DELETE: BEGIN, the parts, the removal with its reservation and claim, COMMIT.
  routes.add(method::delete_, one, access::files_write.costing(4), serve(tus, terminate));
}

}  // namespace kemas::http
