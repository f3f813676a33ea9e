#include "app/routes/web_app.hpp"

#include <memory>
#include <string>
#include <unordered_map>

#include "app/routes/web_bundle.hpp"
#include "app/server/error_response.hpp"

namespace kemas::http {
namespace {

// Scripts, styles, images and API calls from kemas itself only; nothing inline, no plugins,
// no framing, forms post only here. The pages build their DOM with script and set styles
// through the CSSOM, which 'self' allows.
constexpr std::string_view page_policy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'";

// The whole asset in one chunk, straight from the binary: no copy per request.
class static_bytes final : public body_source {
 public:
  explicit static_bytes(std::string_view bytes) : bytes_(bytes) {}
  boost::asio::awaitable<result<std::string_view>> next() override {
    const auto chunk = bytes_;
    bytes_ = {};
    co_return chunk;
  }

 private:
  std::string_view bytes_;
};

bool accepts_gzip(const request_context& req) {
  const auto accepted = req.joined_header("Accept-Encoding");
  // "gzip;q=0" refuses it; anything subtler than that still gets gzip, as nginx does.
  return accepted && accepted->find("gzip") != std::string::npos &&
         accepted->find("gzip;q=0") == std::string::npos;
}

bool etag_matches(const request_context& req, std::string_view etag) {
  const auto wanted = req.joined_header("If-None-Match");
  return wanted && (*wanted == "*" || wanted->find(etag) != std::string::npos);
}

response serve(const request_context& req, const web_asset& asset) {
  response r;
  r.content_type = std::string(asset.content_type);
  r.headers.push_back({"Cache-Control", asset.immutable ? "public, max-age=31536000, immutable"
                                                        : "no-cache"});
  r.headers.push_back({"ETag", std::string(asset.etag)});
  r.headers.push_back({"Vary", "Accept-Encoding"});
  r.headers.push_back({"Content-Security-Policy", std::string(page_policy)});
  if (etag_matches(req, asset.etag)) {
    r.status = 304;
    r.content_type.clear();
    return r;
  }
  auto bytes = asset.body;
  if (!asset.gzip_body.empty() && accepts_gzip(req)) {
    bytes = asset.gzip_body;
    r.headers.push_back({"Content-Encoding", "gzip"});
  }
  r.stream = std::make_shared<static_bytes>(bytes);
  r.stream_length = bytes.size();
  return r;
}

}  // namespace

void add_web_app_routes(router& routes) {
  const web_asset* index = nullptr;
  auto by_name = std::make_shared<std::unordered_map<std::string_view, const web_asset*>>();
  for (const auto& asset : web_assets()) {
    constexpr std::string_view assets_dir = "/assets/";
    if (asset.path == "/index.html")
      index = &asset;
    else if (asset.path.starts_with(assets_dir))
      by_name->emplace(asset.path.substr(assets_dir.size()), &asset);
  }
  if (index == nullptr)
    throw std::logic_error("the web bundle has no index.html");

  route_options page;
  page.web_app = true;
  for (const auto path : web_page_paths()) {
    routes.add(method::get, std::string(path), page,
               [index](request_context& req) -> boost::asio::awaitable<result<response>> {
                 co_return serve(req, *index);
               });
  }
  routes.add(method::get, "/assets/{name}", page,
             [by_name](request_context& req) -> boost::asio::awaitable<result<response>> {
               const auto found = by_name->find(req.path_param("name"));
               if (found == by_name->end())
                 co_return error_response(errc::not_found, "no such asset", req.request_id());
               co_return serve(req, *found->second);
             });
}

}  // namespace kemas::http
