#pragma once
// Client side of the file routes for tests through an api_fixture: accounts, raw and
// multipart/form-data uploads built byte by byte (so a test can also cut them short), and
// one request per fresh connection with a deadline long enough for 40 MiB bodies.
//
// Every request carries the fixture's X-Forwarded-For (its own client address, see
// api_fixture::call). Functions throw std::runtime_error when the server does not answer
// in time or closes without an answer, and when a setup call (sign-up, key creation) is
// refused.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "test/support/api_fixture.hpp"
#include "test/support/http_client.hpp"

namespace kemas::test {

struct account {
  std::string id;       // users.id
  std::string auth;     // "Authorization: Bearer <access token>\r\n"
  std::string refresh;  // the refresh token of that session
};

// Registers `name`@example.com (password "correct horse 1"), gives it `role` ("user",
// "developer", "admin": set in the database, as an operator would) and logs in.
account sign_up(const api_fixture& api, const std::string& name,
                const std::string& role = "user");
// Creates an API key with `scopes_json` (e.g. R"(["files:read"])"); returns its
// "Authorization: ApiKey ...\r\n" header line.
std::string api_key_header(const api_fixture& api, const account& owner,
                           std::string_view scopes_json);

// `count` pseudo-random bytes of stream `seed` (s3_fixture.hpp's byte_stream).
std::string random_bytes(std::size_t count, std::uint64_t seed);

// The request line and headers of an upload, ending with the blank line. `content_length`
// is what the header claims (tests may claim more than they send).
std::string upload_head(const api_fixture& api, std::string_view target, std::string_view auth,
                        std::string_view content_type, std::uint64_t content_length,
                        std::string_view extra_headers = {});

// "/api/v1/auth/files/upload?name=<percent-encoded name>"
std::string raw_upload_target(std::string_view name);

// A multipart/form-data body with a plain field "note" first, then the part `file` with
// `filename` and `content_type`, then the closing boundary.
std::string form_body(std::string_view boundary, std::string_view filename,
                      std::string_view content_type, std::string_view bytes);
inline constexpr std::string_view form_boundary = "kemas-test-boundary-7f3a9c";
std::string form_content_type();  // multipart/form-data; boundary=<form_boundary>

// Sends `request` on a fresh connection and reads one answer within `timeout`.
raw_response exchange(std::uint16_t port, std::string_view request,
                      std::chrono::milliseconds timeout = std::chrono::seconds(60));

// Sends `request` on a fresh connection, then shuts down the write side (the server sees the
// body end early: EOF before Content-Length, or before a form's closing boundary) and reads
// until the server closes or `timeout` passes. The answer is parsed as Content-Length framed.
raw_response send_then_half_close(std::uint16_t port, std::string_view request,
                                  std::chrono::milliseconds timeout = std::chrono::seconds(30));

// A raw upload: the body is the file, ?name= names it.
raw_response upload_raw(const api_fixture& api, std::string_view auth, std::string_view name,
                        std::string_view bytes,
                        std::string_view content_type = "application/octet-stream",
                        std::string_view extra_headers = {});
// A multipart/form-data upload of `bytes` as the part `file` named `filename`.
raw_response upload_form(const api_fixture& api, std::string_view auth, std::string_view filename,
                         std::string_view bytes, std::string_view content_type = "text/plain",
                         std::string_view extra_headers = {});

// GET /api/v1/auth/uploads/{id} until it is no longer pending or `limit` passed; the last
// answer.
raw_response settled_upload(const api_fixture& api, std::string_view auth,
                            std::string_view upload_id,
                            std::chrono::milliseconds limit = std::chrono::seconds(30));

// One satisfiable Range request and the inclusive byte positions it must return.
struct range_case {
  std::string header;  // "bytes=0-99"
  std::size_t first = 0, last = 0;
};
// GETs `path` (whose body is `content`) once per case and CHECKs the 206: body, Content-Range
// and Content-Length; then that a range starting at the end is a 416 naming the size.
void check_ranges(const api_fixture& api, const std::string& auth, const std::string& path,
                  const std::string& content, const std::vector<range_case>& cases);

}  // namespace kemas::test
