#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "app/server/cors.hpp"
#include "test/support/fake_request.hpp"

using namespace kemas::http;

namespace {

// The CORS checks look at method, Origin and the other headers only.
struct fake_request : kemas::test::fake_request {
  fake_request(method m, std::vector<header_field> headers)
      : kemas::test::fake_request(m, "/api/v1/auth/me", std::move(headers)) {}
};

std::optional<std::string> header_of(const response& r, std::string_view name) {
  for (const auto& h : r.headers) {
    if (h.name == name) return h.value;
  }
  return std::nullopt;
}

std::size_t count_of(const response& r, std::string_view name) {
  return static_cast<std::size_t>(
      std::ranges::count_if(r.headers, [name](const header_field& h) { return h.name == name; }));
}

bool has_access_control(const response& r) {
  return std::ranges::any_of(r.headers, [](const header_field& h) { return h.name.starts_with("Access-Control-"); });
}

const cors_policy policy({"https://app.example.com", "http://localhost:5173/"});

}  // namespace

TEST_CASE("preflight from an allowed origin grants credentials and the fixed lists") {
  fake_request req(method::options, {{"Origin", "https://app.example.com"},
                                     {"Access-Control-Request-Method", "POST"},
                                     {"Access-Control-Request-Headers", "authorization, content-type, x-evil"}});
  auto res = policy.preflight(req.ctx);
  REQUIRE(res.has_value());
  CHECK(res->status == 204);
  CHECK(res->body.empty());
  CHECK(header_of(*res, "Access-Control-Allow-Origin") == "https://app.example.com");
  CHECK(header_of(*res, "Access-Control-Allow-Credentials") == "true");
  CHECK(header_of(*res, "Access-Control-Allow-Methods") == "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
  const auto allowed = header_of(*res, "Access-Control-Allow-Headers");
  REQUIRE(allowed.has_value());
  CHECK(allowed->find("Authorization") != std::string::npos);
  CHECK(allowed->find("Idempotency-Key") != std::string::npos);
  for (const char* tus : {"Tus-Resumable", "Upload-Offset", "Upload-Length", "Upload-Metadata",
                          "Upload-Checksum", "Upload-Defer-Length"}) {  // browser tus clients
    CAPTURE(tus);
    CHECK(allowed->find(tus) != std::string::npos);
  }
  CHECK(allowed->find("x-evil") == std::string::npos);  // requested headers are not reflected
  CHECK(header_of(*res, "Access-Control-Max-Age") == "600");
  CHECK(header_of(*res, "Vary") == "Origin");
}

TEST_CASE("preflight from another origin gets no CORS header") {
  for (const char* origin : {"https://evil.example.com", "http://app.example.com", "https://app.example.com:8443",
                             "https://app.example.com.evil.net", "null", ""}) {
    CAPTURE(origin);
    fake_request req(method::options, {{"Origin", origin}, {"Access-Control-Request-Method", "DELETE"}});
    auto res = policy.preflight(req.ctx);
    REQUIRE(res.has_value());
    CHECK(res->status == 204);
    CHECK_FALSE(has_access_control(*res));
  }
}

TEST_CASE("origins compare by scheme host and port only") {
  CHECK(policy.allows("https://APP.Example.com"));
  CHECK(policy.allows("https://app.example.com:443"));  // the default port is no port
  CHECK(policy.allows("http://localhost:5173"));        // the listed trailing slash is ignored
  CHECK_FALSE(policy.allows("http://localhost:5174"));
  CHECK_FALSE(policy.allows("http://localhost"));
  CHECK_FALSE(policy.allows("https://app.example.com/path"));
  CHECK_FALSE(cors_policy({}).allows("https://app.example.com"));
  CHECK_FALSE(cors_policy({"null"}).allows("null"));
}

TEST_CASE("requests that are not preflights are left to the router") {
  fake_request plain_options(method::options, {{"Origin", "https://app.example.com"}});
  CHECK_FALSE(policy.preflight(plain_options.ctx).has_value());
  fake_request no_origin(method::options, {{"Access-Control-Request-Method", "GET"}});
  CHECK_FALSE(policy.preflight(no_origin.ctx).has_value());
  fake_request get(method::get, {{"Origin", "https://app.example.com"}, {"Access-Control-Request-Method", "GET"}});
  CHECK_FALSE(policy.preflight(get.ctx).has_value());
}

TEST_CASE("responses to an allowed origin expose the headers clients need") {
  fake_request req(method::get, {{"Origin", "https://app.example.com"}});
  auto res = response::json(200, "{}");
  policy.decorate(req.ctx, res);
  CHECK(header_of(res, "Access-Control-Allow-Origin") == "https://app.example.com");
  CHECK(header_of(res, "Access-Control-Allow-Credentials") == "true");
  const auto exposed = header_of(res, "Access-Control-Expose-Headers");
  REQUIRE(exposed.has_value());
  for (const char* name : {"X-Request-Id", "Location", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset",
                           "Retry-After", "ETag", "Content-Disposition", "Content-Range",
                           "Upload-Offset", "Upload-Expires", "Tus-Resumable", "Kemas-File-Id"}) {
    CAPTURE(name);
    CHECK(exposed->find(name) != std::string::npos);
  }
  CHECK(header_of(res, "Vary") == "Origin");
  policy.decorate(req.ctx, res);  // twice changes nothing
  CHECK(count_of(res, "Access-Control-Allow-Origin") == 1);
  CHECK(count_of(res, "Vary") == 1);
}

TEST_CASE("responses to other origins or without one carry no CORS grant") {
  fake_request evil(method::post, {{"Origin", "https://evil.example.com"}});
  auto res = response::json(200, "{}");
  policy.decorate(evil.ctx, res);
  CHECK_FALSE(has_access_control(res));
  CHECK(header_of(res, "Vary") == "Origin");  // a cache must still keep origins apart

  fake_request none(method::get, {});
  auto plain = response::json(200, "{}");
  policy.decorate(none.ctx, plain);
  CHECK_FALSE(has_access_control(plain));

  auto off = response::json(200, "{}");
  cors_policy({}).decorate(evil.ctx, off);
  CHECK(off.headers.empty());
}

TEST_CASE("an existing Vary header is extended not duplicated") {
  fake_request req(method::get, {{"Origin", "https://app.example.com"}});
  auto res = response::json(200, "{}").with_header("Vary", "Accept-Encoding");
  policy.decorate(req.ctx, res);
  CHECK(header_of(res, "Vary") == "Accept-Encoding, Origin");
  auto already = response::json(200, "{}").with_header("vary", "origin");
  policy.decorate(req.ctx, already);
  CHECK(count_of(already, "Vary") == 0);
  CHECK(header_of(already, "vary") == "origin");
}

TEST_CASE("a wildcard entry allows any origin without credentials") {
  const cors_policy open({"*", "https://app.example.com"});
  fake_request other(method::options, {{"Origin", "https://anyone.example.org"}, {"Access-Control-Request-Method", "GET"}});
  auto pre = open.preflight(other.ctx);
  REQUIRE(pre.has_value());
  CHECK(header_of(*pre, "Access-Control-Allow-Origin") == "*");
  CHECK_FALSE(header_of(*pre, "Access-Control-Allow-Credentials").has_value());

  fake_request listed(method::get, {{"Origin", "https://app.example.com"}});
  auto res = response::json(200, "{}");
  open.decorate(listed.ctx, res);
  CHECK(header_of(res, "Access-Control-Allow-Origin") == "https://app.example.com");
  CHECK(header_of(res, "Access-Control-Allow-Credentials") == "true");

  fake_request sandboxed(method::get, {{"Origin", "null"}});
  auto nul = response::json(200, "{}");
  open.decorate(sandboxed.ctx, nul);
  CHECK_FALSE(has_access_control(nul));
}
