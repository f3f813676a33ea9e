#include <doctest/doctest.h>

#include <boost/json/parse.hpp>

#include "app/server/rate_limit_headers.hpp"

using namespace kemas::http;
using kemas::limit_decision;

namespace {
std::optional<std::string> header_of(const response& r, std::string_view name) {
  for (const auto& h : r.headers) {
    if (h.name == name) return h.value;
  }
  return std::nullopt;
}
}  // namespace

TEST_CASE("milliseconds become whole seconds rounded up") {
  CHECK(seconds_rounded_up(-5) == 0);
  CHECK(seconds_rounded_up(0) == 0);
  CHECK(seconds_rounded_up(1) == 1);
  CHECK(seconds_rounded_up(999) == 1);
  CHECK(seconds_rounded_up(1000) == 1);
  CHECK(seconds_rounded_up(1001) == 2);
  CHECK(seconds_rounded_up(60'000) == 60);
}

TEST_CASE("an allowed request carries RateLimit headers and no Retry-After") {
  auto res = response::json(200, "{}");
  add_rate_limit_headers(res, limit_decision{true, 20, 7, 12'345, 0});
  CHECK(header_of(res, "RateLimit-Limit") == "20");
  CHECK(header_of(res, "RateLimit-Remaining") == "7");
  CHECK(header_of(res, "RateLimit-Reset") == "13");
  CHECK_FALSE(header_of(res, "Retry-After").has_value());

  auto at_edge = response::json(200, "{}");
  add_rate_limit_headers(at_edge, limit_decision{true, 20, 0, 0, 0});
  CHECK(header_of(at_edge, "RateLimit-Reset") == "0");
}

TEST_CASE("a refused request says when to come back") {
  auto res = response::json(200, "{}");
  add_rate_limit_headers(res, limit_decision{false, 20, 0, 30'000, 2'001});
  CHECK(header_of(res, "RateLimit-Remaining") == "0");
  CHECK(header_of(res, "RateLimit-Reset") == "30");
  CHECK(header_of(res, "Retry-After") == "3");

  auto soon = response::json(200, "{}");
  add_rate_limit_headers(soon, limit_decision{false, 20, 0, 0, 0});
  CHECK(header_of(soon, "Retry-After") == "1");  // never "come back now"
}

TEST_CASE("too_many_requests is a 429 JSON error with the headers") {
  auto res = too_many_requests(limit_decision{false, 20, 0, 41'000, 1'500}, "rid-9");
  CHECK(res.status == 429);
  CHECK(res.content_type == "application/json");
  const auto body = boost::json::parse(res.body).as_object();
  const auto& error = body.at("error").as_object();
  CHECK(error.at("code").as_string() == "rate_limited");
  CHECK(error.at("request_id").as_string() == "rid-9");
  CHECK(error.at("message").as_string() == "too many requests: retry in 2 seconds");
  CHECK(header_of(res, "Retry-After") == "2");
  CHECK(header_of(res, "RateLimit-Limit") == "20");
  CHECK(header_of(res, "RateLimit-Remaining") == "0");
  CHECK(header_of(res, "RateLimit-Reset") == "41");
}
