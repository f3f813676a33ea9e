#include <doctest/doctest.h>

#include "app/server/router.hpp"

using namespace kemas::http;

namespace {
handler noop() {
  return [](request_context&) -> boost::asio::awaitable<kemas::result<response>> {
    co_return response::empty(204);
  };
}
}  // namespace

TEST_CASE("routes match literal paths and collect parameters") {
  router r;
  r.add(method::get, "/api/v1/auth/files/list", noop());
  r.add(method::get, "/api/v1/auth/files/{id}", noop());
  r.add(method::get, "/api/v1/auth/files/download/{fileID}", noop());
  r.add(method::delete_, "/api/v1/auth/files/{id}", noop());

  auto list = r.match(method::get, "/api/v1/auth/files/list");
  REQUIRE(list.outcome == route_match::kind::found);
  CHECK(list.matched->pattern == "/api/v1/auth/files/list");  // literal beats {id}

  auto one = r.match(method::get, "/api/v1/auth/files/abc");
  REQUIRE(one.outcome == route_match::kind::found);
  CHECK(one.matched->pattern == "/api/v1/auth/files/{id}");
  REQUIRE(one.params.size() == 1);
  CHECK(one.params[0] == std::pair<std::string, std::string>{"id", "abc"});

  auto dl = r.match(method::get, "/api/v1/auth/files/download/f-1");
  REQUIRE(dl.outcome == route_match::kind::found);
  CHECK(dl.params[0].second == "f-1");
}

TEST_CASE("unknown paths and wrong methods are told apart") {
  router r;
  r.add(method::get, "/healthz", noop());
  r.add(method::post, "/things/{id}", noop());
  CHECK(r.match(method::get, "/nope").outcome == route_match::kind::not_found);
  CHECK(r.match(method::get, "/healthz/extra").outcome == route_match::kind::not_found);
  auto wrong = r.match(method::delete_, "/healthz");
  CHECK(wrong.outcome == route_match::kind::method_not_allowed);
  REQUIRE(wrong.allowed.size() == 1);
  CHECK(wrong.allowed[0] == method::get);
  CHECK(r.match(method::head, "/healthz").outcome == route_match::kind::found);  // HEAD of GET
}

TEST_CASE("paths match strictly: no empty segments and no trailing slash") {
  router r;
  r.add(method::get, "/metrics", noop());
  r.add(method::get, "/api/v1/plans", noop());
  CHECK(r.match(method::get, "/metrics").outcome == route_match::kind::found);
  for (const char* path : {"/metrics/", "//metrics", "/api//v1/plans", "/api/v1/plans/", "metrics",
                           "", "/api/v1//plans"}) {
    CAPTURE(path);
    CHECK(r.match(method::get, path).outcome == route_match::kind::not_found);
  }
}

TEST_CASE("duplicate routes are a programming error") {
  router r;
  r.add(method::get, "/x", noop());
  CHECK_THROWS_AS(r.add(method::get, "/x", noop()), std::logic_error);
}
