#include <doctest/doctest.h>

#include <boost/json/parse.hpp>

#include "app/server/error_response.hpp"

using kemas::errc;
using kemas::http::error_response;
using kemas::http::status_of;

TEST_CASE("each domain error maps to its HTTP status") {
  CHECK(status_of(errc::bad_request) == 400);
  CHECK(status_of(errc::validation_failed) == 400);
  CHECK(status_of(errc::unauthenticated) == 401);
  CHECK(status_of(errc::forbidden) == 403);
  CHECK(status_of(errc::file_locked) == 403);
  CHECK(status_of(errc::not_found) == 404);
  CHECK(status_of(errc::method_not_allowed) == 405);
  CHECK(status_of(errc::request_timeout) == 408);
  CHECK(status_of(errc::conflict) == 409);
  CHECK(status_of(errc::payload_too_large) == 413);
  CHECK(status_of(errc::unsupported_media_type) == 415);
  CHECK(status_of(errc::range_not_satisfiable) == 416);
  CHECK(status_of(errc::rate_limited) == 429);
  CHECK(status_of(errc::header_too_large) == 431);
  CHECK(status_of(errc::internal) == 500);
  CHECK(status_of(errc::backend_unavailable) == 503);
  CHECK(status_of(errc::quota_exceeded) == 507);
}

TEST_CASE("error bodies carry code / message / request id and the field when there is one") {
  auto r =
      error_response(kemas::make_error(errc::validation_failed, "too short", "password"), "rid-1");
  CHECK(r.status == 400);
  CHECK(r.content_type == "application/json");
  auto body = boost::json::parse(r.body).as_object();
  auto& e = body.at("error").as_object();
  CHECK(e.at("code").as_string() == "validation_failed");
  CHECK(e.at("message").as_string() == "too short");
  CHECK(e.at("request_id").as_string() == "rid-1");
  CHECK(e.at("field").as_string() == "password");

  auto plain = error_response(errc::not_found, "no such file \"x\"", "rid-2");
  auto pbody = boost::json::parse(plain.body).as_object();
  CHECK(pbody.at("error").as_object().contains("field") == false);
  CHECK(pbody.at("error").at("message").as_string() == "no such file \"x\"");
}

TEST_CASE("503 answers tell the client when to retry") {
  auto r = error_response(errc::backend_unavailable, "redis is unavailable", "rid");
  REQUIRE(r.headers.size() == 1);
  CHECK(r.headers[0].name == "Retry-After");
}

TEST_CASE("error codes are stable names") {
  CHECK(kemas::code_name(errc::quota_exceeded) == "quota_exceeded");
  CHECK(kemas::code_name(errc::file_locked) == "file_locked");
  CHECK(std::error_code(errc::conflict).message() == "conflict");
}
