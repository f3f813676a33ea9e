// The plan catalog (see billing.hpp): the public list, and the admins' plan management.
// Admin routes take sessions of role admin only (an API key never reaches them); a body
// field the API does not know is refused (400 naming it) rather than silently ignored.

#include <boost/json/array.hpp>

#include <algorithm>
#include <array>

#include "app/routes/access.hpp"
#include "app/routes/accounts.hpp"
#include "app/routes/billing.hpp"
#include "app/routes/json_body.hpp"
#include "app/server/error_response.hpp"
#include "app/services/plan_service.hpp"
#include "domain/rfc3339.hpp"

namespace kemas::http {
namespace asio = boost::asio;

namespace {

constexpr std::array<std::string_view, 9> plan_body_fields{
    "name",        "display_name", "quota_bytes",      "max_file_bytes", "price_cents",
    "currency",    "duration_seconds", "public",       "max_share_links"};

result<app::plan_input> plan_input_from(const boost::json::object& body) {
  for (const auto& [key, value] : body) {
    if (std::find(plan_body_fields.begin(), plan_body_fields.end(), key) == plan_body_fields.end())
      return make_error(errc::validation_failed, "unknown field " + std::string(key),
                        std::string(key));
  }
  json_fields read(body);
  app::plan_input in;
  in.name = read.optional_text("name");
  auto& fields = in.fields;
  fields.display_name = read.optional_text("display_name");
  fields.quota_bytes = read.optional_integer("quota_bytes");
  fields.max_file_bytes = read.optional_integer("max_file_bytes");
  fields.price_cents = read.optional_integer("price_cents");
  fields.currency = read.optional_text("currency");
  if (body.contains("duration_seconds"))  // null: never expires
    fields.duration_seconds = read.optional_integer("duration_seconds");
  fields.is_public = read.optional_flag("public");
  fields.max_share_links = read.optional_integer("max_share_links");
  if (read.failed())
    return read.problem();
  return in;
}

// The JSON body of a create or update, read and checked field by field.
asio::awaitable<result<app::plan_input>> read_plan_input(request_context& ctx) {
  auto body = co_await read_json_object(ctx);
  if (!body)
    co_return body.error();
  co_return plan_input_from(*body);
}

asio::awaitable<result<response>> list_plans(app::plan_service& plans, bool everything,
                                             request_context&) {
  // Two statements, not `?:` around co_await (GCC 12 destroys such temporaries twice).
  std::vector<model::plan> all;
  if (everything)
    all = co_await plans.all();
  else
    all = co_await plans.catalog();
  boost::json::array items;
  for (const auto& p : all)
    items.push_back(plan_json(p, everything));
  auto r = json_response(200, boost::json::object{{"plans", std::move(items)}});
  if (!everything)
    r.with_header("Cache-Control", "public, max-age=60");
  co_return r;
}

asio::awaitable<result<response>> get_plan(app::plan_service& plans, request_context& ctx) {
  auto found = co_await plans.get(ctx.path_param("id"));
  if (!found)
    co_return found.error();
  co_return json_response(200, plan_json(*found, true));
}

asio::awaitable<result<response>> create_plan(app::plan_service& plans, request_context& ctx) {
  auto input = co_await read_plan_input(ctx);
  if (!input)
    co_return input.error();
  auto meta = meta_of(ctx);
  auto created = co_await plans.create(ctx.who(), std::move(*input), std::move(meta));
  if (!created)
    co_return created.error();
  auto r = json_response(201, plan_json(*created, true));
  r.with_header("Location", "/api/v1/admin/plans/" + std::to_string(created->id));
  co_return r;
}

asio::awaitable<result<response>> update_plan(app::plan_service& plans, request_context& ctx) {
  auto input = co_await read_plan_input(ctx);
  if (!input)
    co_return input.error();
  auto meta = meta_of(ctx);
  auto updated =
      co_await plans.update(ctx.who(), ctx.path_param("id"), std::move(*input), std::move(meta));
  if (!updated)
    co_return updated.error();
  co_return json_response(200, plan_json(*updated, true));
}

asio::awaitable<result<response>> delete_plan(app::plan_service& plans, request_context& ctx) {
  auto meta = meta_of(ctx);
  auto done = co_await plans.remove(ctx.who(), ctx.path_param("id"), std::move(meta));
  if (!done)
    co_return done.error();
  co_return response::empty(204);
}

}  // namespace

boost::json::object plan_json(const model::plan& plan, bool with_admin_fields) {
  boost::json::object out{{"id", plan.id},
                          {"name", plan.name},
                          {"display_name", plan.display_name},
                          {"quota_bytes", plan.quota_bytes},
                          {"max_file_bytes", plan.max_file_bytes},
                          {"price_cents", plan.price_cents},
                          {"currency", plan.currency},
                          {"duration_seconds", nullptr},
                          {"max_share_links", plan.max_share_links}};
  if (plan.duration_seconds)
    out["duration_seconds"] = *plan.duration_seconds;
  if (with_admin_fields) {
    out["public"] = plan.is_public;
    out["created_at"] = format_rfc3339(plan.created_at);
    out["updated_at"] = format_rfc3339(plan.updated_at);
  }
  return out;
}

void add_plan_routes(router& routes, app::plan_service& plans) {
  routes.add(method::get, "/api/v1/plans", access::public_cheap,
             [&plans](request_context& ctx) { return list_plans(plans, false, ctx); });
  routes.add(method::get, "/api/v1/admin/plans", access::admin_only,
             [&plans](request_context& ctx) { return list_plans(plans, true, ctx); });
  routes.add(method::post, "/api/v1/admin/plans", access::admin_only, serve(plans, create_plan));
  routes.add(method::get, "/api/v1/admin/plans/{id}", access::admin_only, serve(plans, get_plan));
  routes.add(method::patch, "/api/v1/admin/plans/{id}", access::admin_only,
             serve(plans, update_plan));
  routes.add(method::delete_, "/api/v1/admin/plans/{id}", access::admin_only,
             serve(plans, delete_plan));
}

}  // namespace kemas::http
