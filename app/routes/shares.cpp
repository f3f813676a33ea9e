#include "app/routes/shares.hpp"

#include <boost/json/array.hpp>

#include "app/routes/access.hpp"
#include "app/routes/accounts.hpp"
#include "app/routes/file_download.hpp"
#include "app/routes/json_body.hpp"
#include "app/server/error_response.hpp"
#include "app/services/share_service.hpp"
#include "domain/base64.hpp"
#include "domain/rfc3339.hpp"
#include "domain/text.hpp"

namespace kemas::http {
namespace asio = boost::asio;

namespace {

struct share_routes {
  app::share_service& shares;
  app::file_service& files;
  std::string public_base_url;
};

boost::json::value optional_time(const std::optional<timestamp>& t) {
  if (!t)
    return nullptr;
  return boost::json::string(format_rfc3339(*t));
}

boost::json::object share_json(const model::share_link& link) {
  const auto now =
      std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  boost::json::object out{{"id", link.id.to_string()},
                          {"file_id", link.file_id.to_string()},
                          {"file_name", link.file_name},
                          {"file_size", link.file_size},
                          {"note", link.note},
                          {"password", link.has_password},
                          {"downloads", link.downloads},
                          {"expires_at", format_rfc3339(link.expires_at)},
                          {"created_at", format_rfc3339(link.created_at)},
                          {"revoked_at", optional_time(link.revoked_at)},
                          {"state", std::string(model::to_string(model::state_of(link, now)))}};
  if (link.max_downloads)
    out["max_downloads"] = *link.max_downloads;
  else
    out["max_downloads"] = nullptr;
  return out;
}

// The errors of these routes: as error_response, but the plan's limit has its own code.
response share_error(const error& e, std::string_view request_id) {
  if (e.code == errc::forbidden && e.field == "share_links")
    return response::json(403, error_body("share_limit_reached", e.message, request_id));
  auto r = error_response(e, request_id);
  if (e.code == errc::unauthenticated && e.field == "password")
    r.with_header("WWW-Authenticate", "Basic realm=\"kemas share link\", charset=\"UTF-8\"");
  return r;
}

asio::awaitable<result<response>> create_share(share_routes& r, request_context& ctx) {
  auto body = co_await read_json_object(ctx);
  json_fields read(std::move(body));
  app::share_request request;
  request.file_id = read.text("file_id");
  request.expires_at = read.optional_text("expires_at");
  request.expires_in = read.optional_integer("expires_in");
  request.password = read.optional_text("password");
  request.max_downloads = read.optional_integer("max_downloads");
  request.note = read.optional_text("note").value_or("");
  if (read.failed())
    co_return read.problem();
  auto meta = meta_of(ctx);  // arguments named: GCC 12 and co_await temporaries
  auto created = co_await r.shares.create(ctx.who(), std::move(request), std::move(meta));
  if (!created)
    co_return share_error(created.error(), ctx.request_id());
  auto link = share_json(created->link);
  link["url"] = r.public_base_url + "/s/" + created->token;
  co_return json_response(201, boost::json::object{{"token", created->token},
                                                   {"share", std::move(link)}});
}

asio::awaitable<result<response>> list_shares(share_routes& r, request_context& ctx) {
  auto all = co_await r.shares.list(ctx.who());
  boost::json::array items;
  for (const auto& link : all)
    items.push_back(share_json(link));
  co_return json_response(200, boost::json::object{{"shares", std::move(items)}});
}

asio::awaitable<result<response>> revoke_share(share_routes& r, request_context& ctx) {
  std::string id(ctx.path_param("id"));
  auto meta = meta_of(ctx);
  auto done = co_await r.shares.revoke(ctx.who(), std::move(id), std::move(meta));
  if (!done)
    co_return share_error(done.error(), ctx.request_id());
  co_return response::empty(204);
}

// Basic credentials' password (the user name is ignored), else X-Share-Password.
std::optional<std::string> share_password(const request_context& ctx) {
  if (auto authorization = ctx.header("Authorization")) {
    const std::string_view value = trim_ows(*authorization);
    if (istarts_with(value, "Basic ")) {
      auto decoded = base64_decode(trim_ows(value.substr(6)));
      if (!decoded)
        return std::nullopt;
      const auto colon = decoded->find(':');
      if (colon == std::string::npos)
        return std::nullopt;
      return decoded->substr(colon + 1);
    }
  }
  if (auto header = ctx.header("X-Share-Password"))
    return std::string(*header);
  return std::nullopt;
}

asio::awaitable<result<response>> open_share(share_routes& r, request_context& ctx) {
  auto meta = meta_of(ctx);
  std::string token(ctx.path_param("token"));
  auto password = share_password(ctx);
  auto opened = co_await r.shares.open(std::move(token), std::move(password), meta);
  if (!opened)
    co_return share_error(opened.error(), ctx.request_id());
  const auto& access = *opened;
  download_options options;
  // Every GET with a body spends a download, so no cache may answer for the link.
  options.cache_control = "private, no-store";
  options.before_body = [&r, &access, &meta]() { return r.shares.count_download(access, meta); };
  auto answer = co_await download_response(r.files, ctx, access.file, options);
  if (!answer)
    co_return share_error(answer.error(), ctx.request_id());
  answer->with_header("X-Robots-Tag", "noindex");
  answer->with_header("Referrer-Policy", "no-referrer");
  co_return answer;
}

}  // namespace

void add_share_routes(router& routes, app::share_service& shares, app::file_service& files,
                      std::string public_base_url) {
  auto state =
      std::make_shared<share_routes>(share_routes{shares, files, std::move(public_base_url)});
  using route_fn = asio::awaitable<result<response>> (*)(share_routes&, request_context&);
  auto serve_shares = [state](route_fn fn) {
    return [state, fn](request_context& ctx) { return fn(*state, ctx); };
  };
  // Budgets in PostgreSQL statements: create 6 (share_repository.hpp), list 1, revoke 4; the
  // public GET: the link with its file, the plan check of the download (1), the counted
  // download (4).
  routes.add(method::post, "/api/v1/auth/shares", access::files_write.costing(6),
             serve_shares(create_share));
  routes.add(method::get, "/api/v1/auth/shares", access::files_read.costing(1),
             serve_shares(list_shares));
  routes.add(method::delete_, "/api/v1/auth/shares/{id}", access::files_write.costing(4),
             serve_shares(revoke_share));
  routes.add(method::get, "/s/{token}", access::share_link.costing(6), serve_shares(open_share));
}

}  // namespace kemas::http
