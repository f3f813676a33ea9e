// File command routes (issue 4): uploads and deletes go through the workers.
//   POST   /api/v1/auth/files/upload   files:write  multipart/form-data field `file`, or a
//                                                   raw body with ?name= (and Content-Type)
//   GET    /api/v1/auth/uploads/{id}   files:read   pending | committed | rejected (reason)
//   DELETE /api/v1/auth/files/{id}     files:write  204 once committed, else 202
// Upload answers: 201 + the file once the worker committed it within upload.wait; 202 +
// Location of the upload when the wait ran out or the client sent Prefer: respond-async.

#include "app/routes/access.hpp"
#include "app/routes/files.hpp"

#include "app/routes/command_requests.hpp"
#include "app/routes/json_body.hpp"
#include "app/routes/upload_body.hpp"
#include "app/server/error_response.hpp"
#include "app/services/delete_service.hpp"
#include "app/services/upload_service.hpp"
#include "domain/file_name.hpp"
#include "domain/rfc3339.hpp"
#include "domain/text.hpp"

namespace kemas::http {
namespace asio = boost::asio;

namespace {

// Room for the form around the file: boundaries, part headers, small extra fields.
constexpr std::uint64_t form_overhead_max = 64 * 1024;

boost::json::object upload_json(const app::upload_view& view) {
  const auto& u = view.upload;
  boost::json::object out{{"id", u.id.to_string()},
                          {"state", model::to_string(u.state)},
                          {"created_at", format_rfc3339(u.created_at)}};
  if (u.reason)
    out["reason"] = model::to_string(*u.reason);
  if (u.file_id)
    out["file_id"] = u.file_id->to_string();
  if (view.file)
    out["file"] = file_json(*view.file);
  return out;
}

response upload_answer(const app::upload_view& view, bool respond_async) {
  if (view.file) {
    auto r = json_response(201, file_json(*view.file));
    r.with_header("Location", "/api/v1/auth/files/" + view.file->id.to_string());
    return r;
  }
  auto r = json_response(202, upload_json(view));
  r.with_header("Location", "/api/v1/auth/uploads/" + view.upload.id.to_string());
  if (respond_async)
    r.with_header("Preference-Applied", "respond-async");
  return r;
}

asio::awaitable<result<response>> upload_file(app::upload_service& uploads, request_context& ctx) {
  app::upload_request request;
  request.respond_async = prefers_async(ctx);
  request.origin = origin_of(ctx);
  const std::string_view content_type = ctx.header("Content-Type").value_or("");
  std::optional<std::string> name_param;
  if (!ctx.query().empty())
    name_param = ctx.query_param("name");

  std::unique_ptr<form_file_body> form;
  if (istarts_with(content_type, "multipart/")) {
    auto boundary = multipart_boundary(content_type);
    if (!boundary)
      co_return file_error(boundary.error(), ctx.request_id());
    form = std::make_unique<form_file_body>(ctx.body(), form_overhead_max, std::move(*boundary));
    auto part = co_await form->open();
    if (!part)
      co_return file_error(part.error(), ctx.request_id());
    request.name = name_param ? *name_param : client_file_name(part->filename.value_or(""));
    request.content_type = part->content_type;
  } else {
    if (!name_param)
      co_return file_error(
          make_error(errc::validation_failed,
                     "a raw upload needs ?name= (or send multipart/form-data)", "name"),
          ctx.request_id());
    request.name = std::move(*name_param);
    request.content_type = std::string(content_type);
    request.declared_size = ctx.content_length();
  }

  auto admission = co_await uploads.admit(ctx.who(), request);
  if (!admission)
    co_return file_error(admission.error(), ctx.request_id());
  // The session enforces this on the wire; the service stops at the exact file limits.
  const std::uint64_t wire_limit = admission->max_bytes + form_overhead_max;
  std::unique_ptr<body_source> raw;
  body_source* body = form.get();
  if (form) {
    form->set_limit(wire_limit);
  } else {
    raw = std::make_unique<raw_file_body>(ctx.body(), wire_limit);
    body = raw.get();
  }
  auto received = co_await uploads.receive(ctx.who(), request, *admission, *body);
  if (!received)
    co_return file_error(received.error(), ctx.request_id());
  co_return upload_answer(*received, request.respond_async);
}

asio::awaitable<result<response>> upload_status(app::upload_service& uploads,
                                                request_context& ctx) {
  auto view = co_await uploads.status(ctx.who(), ctx.path_param("id"));
  if (!view)
    co_return file_error(view.error(), ctx.request_id());
  co_return json_response(200, upload_json(*view));
}

asio::awaitable<result<response>> delete_file(app::delete_service& deletes, request_context& ctx) {
  const bool respond_async = prefers_async(ctx);
  auto done =
      co_await deletes.remove(ctx.who(), ctx.path_param("id"), respond_async, origin_of(ctx));
  if (!done)
    co_return file_error(done.error(), ctx.request_id());
  if (*done == app::deletion::committed)
    co_return response::empty(204);
  boost::json::object out{{"file_id", std::string(ctx.path_param("id"))}, {"state", "deleting"}};
  auto r = json_response(202, out);
  if (respond_async)
    r.with_header("Preference-Applied", "respond-async");
  co_return r;
}

}  // namespace

void add_file_command_routes(router& routes, app::upload_service& uploads,
                             app::delete_service& deletes) {
  // Budgets in PostgreSQL statements. upload: the plan's limits with the name check, the
  // pending row, and one read of the upload with its file once the worker's commit signals
  // it (or at the end of the wait): 3 for a body that rides inline. A streamed body adds the
  // claim on its object, written before the first byte reaches S3
  // (upload_store::hold_object), and a multipart upload its id once S3 gave it: at most 5.
  routes.add(method::post, "/api/v1/auth/files/upload", access::files_upload.costing(5),
             serve(uploads, upload_file));
  // status: the upload with its file, one read.
  routes.add(method::get, "/api/v1/auth/uploads/{id}", access::files_read.costing(1),
             serve(uploads, upload_status));
  // delete: the file (404 before a command), then one read once signalled or at the end.
  routes.add(method::delete_, "/api/v1/auth/files/{id}", access::files_write.costing(2),
             serve(deletes, delete_file));
}

}  // namespace kemas::http
