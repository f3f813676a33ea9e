#include <doctest/doctest.h>

#include <string>

#include "app/server/response_head.hpp"

using namespace kemas;
using http::body_framing;
using http::head_facts;
using http::render_head;
using http::response;

namespace {

std::string head_of(const response& r, const head_facts& facts) {
  std::string out;
  render_head(out, r, facts);
  return out;
}

bool has_line(const std::string& head, const std::string& line) {
  return head.find("\r\n" + line + "\r\n") != std::string::npos;
}

}  // namespace

TEST_CASE("a JSON answer has its status line and type and length and the security headers") {
  const auto r = response::json(200, R"({"status":"ok"})");
  const auto head =
      head_of(r, {.content_length = r.body.size(), .request_id = "rid-1"});
  CHECK(head.starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(head.ends_with("\r\n\r\n"));
  CHECK(has_line(head, "Content-Type: application/json"));
  CHECK(has_line(head, "Content-Length: 15"));
  CHECK(has_line(head, "X-Request-Id: rid-1"));
  CHECK(has_line(head, "X-Content-Type-Options: nosniff"));
  CHECK(has_line(head, "X-Frame-Options: DENY"));
  CHECK(has_line(head, "Content-Security-Policy: default-src 'none'; frame-ancestors 'none'"));
  CHECK(has_line(head, "Cache-Control: no-store"));
  CHECK(head.find("Connection:") == std::string::npos);
  CHECK(head.find("Strict-Transport-Security") == std::string::npos);
}

TEST_CASE("a handler's cache policy and page policy replace the defaults") {
  auto r = response::text(200, "<html>", "text/html");
  r.with_header("Cache-Control", "public, max-age=60")
      .with_header("Content-Security-Policy", "default-src 'self'");
  const auto head = head_of(r, {.content_length = 6});
  CHECK(has_line(head, "Cache-Control: public, max-age=60"));
  CHECK(has_line(head, "Content-Security-Policy: default-src 'self'"));
  CHECK(head.find("no-store") == std::string::npos);
  CHECK(head.find("default-src 'none'") == std::string::npos);
}

TEST_CASE("framing headers are the server's whatever a handler set") {
  auto r = response::json(200, "{}");
  r.with_header("Content-Length", "999")
      .with_header("Connection", "keep-alive")
      .with_header("X-Request-Id", "forged");
  const auto head = head_of(r, {.keep_alive = false, .content_length = 2, .request_id = "real"});
  CHECK(has_line(head, "Content-Length: 2"));
  CHECK(head.find("999") == std::string::npos);
  CHECK(has_line(head, "Connection: close"));
  CHECK(head.find("keep-alive") == std::string::npos);
  CHECK(head.find("forged") == std::string::npos);
}

TEST_CASE("a header value with CR or LF is dropped so it cannot split the response") {
  auto r = response::empty(204);
  r.with_header("Location", "/x\r\nSet-Cookie: evil=1").with_header("Upload-Offset", "10");
  const auto head = head_of(r, {.framing = body_framing::none});
  CHECK(head.find("evil") == std::string::npos);
  CHECK(head.find("Location") == std::string::npos);
  CHECK(has_line(head, "Upload-Offset: 10"));
  CHECK(head.starts_with("HTTP/1.1 204 No Content\r\n"));
  CHECK(head.find("Content-Length") == std::string::npos);
  CHECK(head.find("\r\nContent-Type:") == std::string::npos);
}

TEST_CASE("HTTP/1.0 keep-alive and chunked and close-delimited bodies and production HSTS") {
  auto r = response::json(200, "");
  CHECK(head_of(r, {.version = 10, .keep_alive = true}).starts_with("HTTP/1.0 200 OK\r\n"));
  CHECK(has_line(head_of(r, {.version = 10, .keep_alive = true}), "Connection: keep-alive"));
  CHECK(head_of(r, {.version = 10, .keep_alive = false}).find("Connection") == std::string::npos);
  CHECK(has_line(head_of(r, {.framing = body_framing::chunked}), "Transfer-Encoding: chunked"));
  const auto until_close = head_of(r, {.version = 10, .keep_alive = false,
                                       .framing = body_framing::until_close});
  CHECK(until_close.find("Content-Length") == std::string::npos);
  CHECK(until_close.find("Transfer-Encoding") == std::string::npos);
  CHECK(has_line(head_of(r, {.env = config::environment::production}),
                 "Strict-Transport-Security: max-age=31536000; includeSubDomains"));
}

TEST_CASE("reason phrases: known statuses and tus's 460 and unknown ones") {
  CHECK(head_of(response::empty(404), {}).starts_with("HTTP/1.1 404 Not Found\r\n"));
  CHECK(head_of(response::empty(460), {}).starts_with("HTTP/1.1 460 Checksum Mismatch\r\n"));
  CHECK(head_of(response::empty(590), {}).starts_with("HTTP/1.1 590 Unknown\r\n"));
  CHECK(http::status_has_no_body(204));
  CHECK(http::status_has_no_body(304));
  CHECK(http::status_has_no_body(100));
  CHECK_FALSE(http::status_has_no_body(200));
}
