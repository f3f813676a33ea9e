#include <doctest/doctest.h>

#include <stdexcept>

#include "app/server/cookies.hpp"
#include "test/support/fake_request.hpp"

using namespace kemas::http;

TEST_CASE("a browser Cookie header parses into names and values") {
  auto cookies = parse_cookies("kemas_access=eyJ.a-b_c.sig; theme=dark;kemas_refresh=0123abcd.Zz-_");
  CHECK(cookies.size() == 3);
  CHECK(cookies["kemas_access"] == "eyJ.a-b_c.sig");
  CHECK(cookies["theme"] == "dark");
  CHECK(cookies["kemas_refresh"] == "0123abcd.Zz-_");
}

TEST_CASE("cookie parsing is lenient with sloppy input") {
  auto cookies = parse_cookies("  a = 1 ;b=\"quoted\";; novalue ; =orphan; c=; d=x=y; a=second;e=\"");
  CHECK(cookies["a"] == "1");       // blanks trimmed and the first of a repeated name wins
  CHECK(cookies["b"] == "quoted");  // one pair of quotes removed
  CHECK(cookies["c"].empty());
  CHECK(cookies["d"] == "x=y");     // only the first '=' separates
  CHECK(cookies["e"] == "\"");      // a lone quote is kept
  CHECK(cookies.count("novalue") == 0);
  CHECK(cookies.count("") == 0);
  CHECK(cookies.size() == 5);
  CHECK(parse_cookies("").empty());
  CHECK(parse_cookies(";;;").empty());
}

TEST_CASE("set_cookie writes the fixed attribute set") {
  CHECK(set_cookie("kemas_access", "abc.def", 900, false) ==
        "kemas_access=abc.def; Path=/; Max-Age=900; HttpOnly; SameSite=Lax");
  CHECK(set_cookie(refresh_cookie, "sid.secret", 604800, true, refresh_cookie_path) ==
        "kemas_refresh=sid.secret; Path=/api/v1/auth; Max-Age=604800; HttpOnly; SameSite=Lax; Secure");
}

TEST_CASE("clear_cookie expires the cookie on the same path") {
  CHECK(clear_cookie(refresh_cookie, true, refresh_cookie_path) ==
        "kemas_refresh=; Path=/api/v1/auth; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; "
        "SameSite=Lax; Secure");
  CHECK(clear_cookie(access_cookie, false) ==
        "kemas_access=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax");
}

TEST_CASE("cookies are never built from characters a header cannot carry") {
  CHECK_THROWS_AS(set_cookie("", "v", 1, false), std::invalid_argument);
  CHECK_THROWS_AS(set_cookie("bad name", "v", 1, false), std::invalid_argument);
  CHECK_THROWS_AS(set_cookie("n=x", "v", 1, false), std::invalid_argument);
  CHECK_THROWS_AS(set_cookie("n", "a;b", 1, false), std::invalid_argument);
  CHECK_THROWS_AS(set_cookie("n", "a b", 1, false), std::invalid_argument);
  CHECK_THROWS_AS(set_cookie("n", "a\r\nSet-Cookie: x=y", 1, false), std::invalid_argument);
  CHECK_THROWS_AS(set_cookie("n", "v", -1, false), std::invalid_argument);
  CHECK_THROWS_AS(set_cookie("n", "v", 1, false, "relative"), std::invalid_argument);
  CHECK_THROWS_AS(set_cookie("n", "v", 1, false, "/a;Domain=evil"), std::invalid_argument);
  CHECK_THROWS_AS(clear_cookie("n", false, "/a\n"), std::invalid_argument);
}

using no_body = kemas::test::empty_body;

TEST_CASE("cookie_value reads one cookie of a request") {
  no_body body;
  request_context with(method::post, "POST", "/api/v1/auth/refresh",
                       {{"cookie", "theme=dark; kemas_refresh=sid.secret"}}, "rid", "127.0.0.1", body);
  CHECK(cookie_value(with, refresh_cookie) == "sid.secret");
  CHECK_FALSE(cookie_value(with, access_cookie).has_value());
  request_context without(method::post, "POST", "/api/v1/auth/refresh", {}, "rid", "127.0.0.1", body);
  CHECK_FALSE(cookie_value(without, refresh_cookie).has_value());
}
