// The web app as kemas-api serves it (app/routes/web_app.cpp): pages on their paths, hashed
// assets cached for a year, gzip, ETags, the pages' Content-Security-Policy — and the API's
// answers keep their own, stricter one.
#include <doctest/doctest.h>

#include <regex>
#include <string>

#include "test/support/api_fixture.hpp"

namespace {

// The first /assets/<name> index.html names with this extension.
std::string asset_named_in(const std::string& html, const std::string& extension) {
  const std::regex pattern("/assets/(app\\.[0-9a-f]{12}\\." + extension + ")");
  std::smatch m;
  REQUIRE(std::regex_search(html, m, pattern));
  return "/assets/" + m[1].str();
}

}  // namespace

TEST_CASE("every page path answers the same index.html and is never cached stale") {
  kemas::test::api_fixture api;
  const auto root = api.call("GET", "/");
  REQUIRE(root.status == 200);
  CHECK(root.header("content-type").value_or("").starts_with("text/html"));
  CHECK(root.header("cache-control") == "no-cache");
  CHECK(root.body.find("<main id=\"main\"") != std::string::npos);
  for (const char* page : {"/login", "/files", "/reset-password", "/admin/users"}) {
    CAPTURE(page);
    const auto r = api.call("GET", page);
    CHECK(r.status == 200);
    CHECK(r.body == root.body);
  }
  CHECK(api.call("GET", "/no-such-page").status == 404);
  CHECK(api.call("POST", "/files").status == 405);
}

TEST_CASE("the pages' policy allows only kemas itself and the API's forbids everything") {
  kemas::test::api_fixture api;
  const auto page = api.call("GET", "/files");
  const auto policy = page.header("content-security-policy").value_or("");
  CHECK(policy.find("default-src 'self'") != std::string::npos);
  CHECK(policy.find("script-src 'self';") != std::string::npos);
  CHECK(policy.find("unsafe-inline") == std::string::npos);
  CHECK(policy.find("frame-ancestors 'none'") != std::string::npos);
  CHECK(page.body.find("<script>") == std::string::npos);  // no inline script to allow
  const auto api_answer = api.call("GET", "/api/v1/plans");
  CHECK(api_answer.header("content-security-policy") == "default-src 'none'; frame-ancestors 'none'");
}

TEST_CASE("hashed assets are immutable for a year with an ETag and gzip on request") {
  kemas::test::api_fixture api;
  const auto html = api.call("GET", "/").body;
  const auto script = asset_named_in(html, "js");
  const auto styles = asset_named_in(html, "css");

  const auto plain = api.call("GET", script);
  REQUIRE(plain.status == 200);
  CHECK(plain.header("content-type").value_or("").starts_with("text/javascript"));
  CHECK(plain.header("cache-control") == "public, max-age=31536000, immutable");
  CHECK_FALSE(plain.header("content-encoding").has_value());
  CHECK(plain.body.find("import") != std::string::npos);
  const auto etag = plain.header("etag").value_or("");
  REQUIRE(etag.size() > 2);

  const auto packed = api.call("GET", styles, {}, "Accept-Encoding: gzip, br\r\n");
  CHECK(packed.status == 200);
  CHECK(packed.header("content-encoding") == "gzip");
  CHECK(packed.header("vary") == "Accept-Encoding");
  CHECK(packed.body.size() > 2);
  CHECK(static_cast<unsigned char>(packed.body[0]) == 0x1f);  // the gzip magic
  CHECK(static_cast<unsigned char>(packed.body[1]) == 0x8b);
  const auto refused = api.call("GET", styles, {}, "Accept-Encoding: gzip;q=0\r\n");
  CHECK_FALSE(refused.header("content-encoding").has_value());

  const auto again = api.call("GET", script, {}, "If-None-Match: " + etag + "\r\n");
  CHECK(again.status == 304);
  CHECK(again.body.empty());
  CHECK(api.call("GET", "/assets/app.000000000000.js").status == 404);
}
