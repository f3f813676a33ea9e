// Admin routes for accounts and the audit trail: see admin.hpp. A body field the API does
// not know is refused (400 naming it).

#include "app/routes/admin.hpp"

#include "app/routes/audit_export.hpp"

#include <algorithm>
#include <array>

#include "app/routes/access.hpp"
#include "app/routes/accounts.hpp"
#include "app/routes/json_body.hpp"
#include "app/routes/render.hpp"
#include "app/services/admin_service.hpp"

namespace kemas::http {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

json::object summary_json(const ports::user_summary& s) {
  auto out = user_json(s.user);
  out["file_count"] = s.file_count;
  return out;
}

json::object view_json(const app::user_view& v) {
  auto out = summary_json(v.details.summary);
  out["effective_plan"] = v.details.effective_plan;
  out["quota_bytes"] = v.details.quota_bytes;
  out["last_login_at"] = time_or_null(v.details.last_login);
  json::array sessions;
  for (const auto& s : v.sessions)
    sessions.push_back(session_json(s));
  out["sessions_count"] = static_cast<std::int64_t>(v.sessions.size());
  out["sessions"] = std::move(sessions);
  return out;
}

asio::awaitable<result<response>> list_users(app::admin_service& admin, request_context& ctx) {
  app::user_list_request request{ctx.query_param("q"),     ctx.query_param("role"),
                                 ctx.query_param("plan"),  ctx.query_param("disabled"),
                                 ctx.query_param("limit"), ctx.query_param("cursor")};
  auto page = co_await admin.list_users(std::move(request));
  if (!page)
    co_return page.error();
  co_return json_response(200, page_json("users", page->users, page->next_cursor, summary_json));
}

asio::awaitable<result<response>> get_user(app::admin_service& admin, request_context& ctx) {
  auto found = co_await admin.user(std::string(ctx.path_param("id")));
  if (!found)
    co_return found.error();
  co_return json_response(200, json::object{{"user", view_json(*found)}});
}

constexpr std::array<std::string_view, 4> update_fields{"role", "disabled", "plan",
                                                        "plan_expires_at"};

asio::awaitable<result<response>> update_user(app::admin_service& admin, request_context& ctx) {
  auto body = co_await read_json_object(ctx);
  if (!body)
    co_return body.error();
  for (const auto& [key, value] : *body) {
    if (std::find(update_fields.begin(), update_fields.end(), key) == update_fields.end())
      co_return make_error(errc::validation_failed, "unknown field " + std::string(key),
                           std::string(key));
  }
  app::user_update change;
  // plan_expires_at: null (or absent) = the plan does not end.
  if (const auto* end = body->if_contains("plan_expires_at"); end != nullptr && !end->is_null()) {
    if (!end->is_string())
      co_return make_error(errc::validation_failed, "plan_expires_at must be a time or null",
                           "plan_expires_at");
    change.plan_expires_at = std::string(end->get_string());
  }
  json_fields read(std::move(body));
  change.role = read.optional_text("role");
  change.disabled = read.optional_flag("disabled");
  change.plan = read.optional_text("plan");
  if (read.failed())
    co_return read.problem();
  auto meta = meta_of(ctx);
  auto updated = co_await admin.update_user(ctx.who(), std::string(ctx.path_param("id")),
                                            std::move(change), std::move(meta));
  if (!updated)
    co_return updated.error();
  json::object out{{"user", view_json(*updated)}};
  // 202: the plan change is queued and a worker has not applied it yet.
  if (updated->plan_pending)
    out["pending"] = json::array{"plan"};
  co_return json_response(updated->plan_pending ? 202 : 200, out);
}

asio::awaitable<result<response>> send_reset(app::admin_service& admin, request_context& ctx) {
  auto meta = meta_of(ctx);
  auto sent = co_await admin.send_reset(std::string(ctx.path_param("id")), std::move(meta));
  if (!sent)
    co_return sent.error();
  co_return json_response(202, json::object{{"status", "accepted"}});
}

asio::awaitable<result<response>> list_audit(app::admin_service& admin, request_context& ctx) {
  app::audit_request request{
      ctx.query_param("actor"),     ctx.query_param("action"),     ctx.query_param("target_type"),
      ctx.query_param("target_id"), ctx.query_param("request_id"), ctx.query_param("from"),
      ctx.query_param("to"),        ctx.query_param("limit"),      ctx.query_param("cursor")};
  auto page = co_await admin.audit(std::move(request));
  if (!page)
    co_return page.error();
  co_return json_response(200,
                          page_json("entries", page->entries, page->next_cursor, audit_entry_json));
}

json::object usage_json(const ports::usage_stats& u) {
  json::array by_plan_and_role;
  for (const auto& c : u.by_plan_and_role)
    by_plan_and_role.push_back(
        {{"plan", c.plan}, {"role", c.role}, {"accounts", c.accounts}, {"disabled", c.disabled}});
  json::array days;
  for (const auto& d : u.days)
    days.push_back({{"day", d.day},
                    {"uploads", d.uploads},
                    {"upload_bytes", d.upload_bytes},
                    {"downloads", d.downloads},
                    {"download_bytes", d.download_bytes},
                    {"active_users", d.active_users}});
  json::array top;
  for (const auto& t : u.top_users)
    top.push_back({{"id", t.id.to_string()},
                   {"email", t.email},
                   {"username", t.username},
                   {"used_bytes", t.used_bytes},
                   {"file_count", t.file_count}});
  return {{"accounts", u.accounts},  {"bytes_stored", u.bytes_stored},
          {"files", u.files},        {"by_plan_and_role", std::move(by_plan_and_role)},
          {"days", std::move(days)}, {"top_users", std::move(top)}};
}

asio::awaitable<result<response>> export_audit(app::admin_service& admin, request_context& ctx) {
  const auto format_name = ctx.query_param("format").value_or("ndjson");
  if (format_name != "ndjson" && format_name != "csv")
    co_return make_error(errc::validation_failed, "format must be ndjson or csv", "format");
  const auto format = format_name == "csv" ? export_format::csv : export_format::ndjson;
  app::audit_request request{ctx.query_param("actor"),
                             ctx.query_param("action"),
                             ctx.query_param("target_type"),
                             ctx.query_param("target_id"),
                             ctx.query_param("request_id"),
                             ctx.query_param("from"),
                             ctx.query_param("to"),
                             std::nullopt,
                             std::nullopt};
  auto filter = app::admin_service::audit_filter_of(request);
  if (!filter)
    co_return filter.error();
  response res;
  res.status = 200;
  res.content_type =
      format == export_format::csv ? "text/csv; charset=utf-8" : "application/x-ndjson";
  res.stream = make_audit_export(admin, std::move(*filter), format);
  res.stream_chunked = true;
  res.with_header("Content-Disposition",
                  std::string("attachment; filename=\"kemas-audit.") + format_name + "\"");
  co_return res;
}

asio::awaitable<result<response>> usage(app::admin_service& admin, request_context& ctx) {
  auto stats = co_await admin.usage(ctx.query_param("days"));
  if (!stats)
    co_return stats.error();
  co_return json_response(200, usage_json(*stats));
}

}  // namespace

void add_admin_routes(router& routes, app::admin_service& admin) {
  routes.add(method::get, "/api/v1/admin/users", access::admin_only, serve(admin, list_users));
  routes.add(method::get, "/api/v1/admin/users/{id}", access::admin_only, serve(admin, get_user));
  routes.add(method::patch, "/api/v1/admin/users/{id}", access::admin_only,
             serve(admin, update_user));
  routes.add(method::post, "/api/v1/admin/users/{id}/password-reset", access::admin_only,
             serve(admin, send_reset));
  routes.add(method::get, "/api/v1/admin/audit", access::admin_only, serve(admin, list_audit));
  routes.add(method::get, "/api/v1/admin/stats", access::admin_only, serve(admin, usage));
  routes.add(method::get, "/api/v1/admin/audit/export", access::admin_only,
             serve(admin, export_audit));
}

}  // namespace kemas::http
