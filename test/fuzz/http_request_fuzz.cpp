// What the HTTP front end reads from a request before any handler: the method, the target's
// path (router, strictly) and query parameters (percent-decoded), the Cookie header,
// X-Forwarded-For behind trusted proxies, CORS and the CSRF guard's Origin check.
// Input: "METHOD\nTARGET\nName: value\n..." (a missing part is empty). Invariants: a matched
// route's parameters are non-empty segments without '/', decoded query values never exceed
// the target's length, the client address is one of the peer or the header's entries.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "app/server/client_ip.hpp"
#include "app/server/cookies.hpp"
#include "app/server/cors.hpp"
#include "app/server/csrf.hpp"
#include "app/server/http_types.hpp"
#include "app/server/router.hpp"

namespace {

namespace http = kemas::http;

// clang 14 cannot instrument coroutines for coverage here ("cannot represent a difference
// across sections"): these two are left out of it (they are not what is fuzzed).
#define KEMAS_NO_COVERAGE __attribute__((no_sanitize("coverage")))

struct no_body final : http::body_reader {
  KEMAS_NO_COVERAGE boost::asio::awaitable<kemas::result<std::string_view>> next_chunk(
      std::uint64_t) override {
    co_return std::string_view{};
  }
  bool complete() const noexcept override { return true; }
};

KEMAS_NO_COVERAGE boost::asio::awaitable<kemas::result<http::response>> answer(
    http::request_context&) {
  co_return http::response::empty(204);
}

const http::router& routes() {
  static const http::router made = [] {
    http::router r;
    for (const char* pattern :
         {"/healthz", "/readyz", "/metrics", "/api/v1/user/login", "/api/v1/auth/files/list",
          "/api/v1/auth/files/{id}", "/api/v1/auth/files/download/{fileID}",
          "/api/v1/auth/uploads/{id}", "/api/v1/admin/users/{id}/password-reset"}) {
      r.add(http::method::get, pattern, answer);
    }
    r.add(http::method::post, "/api/v1/auth/files/upload", answer);
    return r;
  }();
  return made;
}

std::string_view next_line(std::string_view& rest) {
  const auto end = rest.find('\n');
  const auto line = rest.substr(0, end);
  rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
  return line;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  const std::string method_text(next_line(rest));
  const std::string target(next_line(rest));
  std::vector<http::header_field> headers;
  while (!rest.empty() && headers.size() < 32) {
    const auto line = next_line(rest);
    const auto colon = line.find(':');
    if (colon == std::string_view::npos)
      continue;
    headers.push_back({std::string(line.substr(0, colon)),
                       std::string(line.substr(colon + 1).substr(
                           line.size() > colon + 1 && line[colon + 1] == ' ' ? 1 : 0))});
  }
  const auto verb = http::parse_method(method_text);
  no_body body;
  http::request_context ctx(verb, method_text, target, headers, "fuzz", "192.0.2.1", body);

  const auto match = routes().match(verb, ctx.path());
  if (match.outcome == http::route_match::kind::found) {
    for (const auto& [name, value] : match.params) {
      if (value.empty() || value.find('/') != std::string::npos)
        std::abort();
    }
  }
  for (const char* name : {"name", "cursor", "limit", "prefix", "q"}) {
    if (const auto value = ctx.query_param(name); value && value->size() > target.size())
      std::abort();
  }
  (void)http::cookie_value(ctx, http::access_cookie);
  if (const auto cookie = ctx.header("Cookie"))
    (void)http::parse_cookies(*cookie);

  static const http::trusted_proxies proxies({"192.0.2.0/24", "10.0.0.0/8", "::1"});
  const auto forwarded = ctx.joined_header("X-Forwarded-For");
  const std::string client = http::client_ip(ctx.peer_ip(), forwarded, proxies);
  if (client != "192.0.2.1" && (!forwarded || forwarded->find(client) == std::string::npos)) {
    // The client is the peer or, canonicalised, one of the header's entries.
    if (!http::ip_address::parse(client))
      std::abort();
  }
  (void)http::rate_limit_source(client);

  static const http::cors_policy cors({"https://app.example.com", "*"});
  http::response res = http::response::empty(204);
  cors.decorate(ctx, res);
  (void)cors.preflight(ctx);
  (void)http::check_cookie_request(ctx, cors);
  return 0;
}
