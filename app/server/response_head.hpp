#pragma once
// The status line and header block of a response, rendered straight into one string that
// the session writes together with the body in one gather write. Every response carries
// X-Request-Id and the security headers here; the framing headers (Content-Length,
// Transfer-Encoding, Connection) are ours alone, whatever a handler set.
//
// Why not Beast's serializer: it allocates a node per header field and walks a
// concatenated-buffer view per write; for a small JSON answer that was about a sixth of the
// api's CPU per request (perf, bench/http_ratio.sh).

#include <cstdint>
#include <string>
#include <string_view>

#include "adapters/config/settings.hpp"
#include "app/server/http_types.hpp"

namespace kemas::http {

// How the body's end is told: by Content-Length, by chunks, by closing the connection
// (HTTP/1.0 streams of unknown length), or not at all (1xx, 204, 304: no body).
enum class body_framing { length, chunked, until_close, none };

// Statuses that carry no body and no length (RFC 9110 §6.4.1).
bool status_has_no_body(unsigned status) noexcept;

struct head_facts {
  unsigned version = 11;  // 10 or 11
  bool keep_alive = true;
  body_framing framing = body_framing::length;
  std::uint64_t content_length = 0;  // with body_framing::length
  std::string_view request_id{};
  config::environment env = config::environment::development;
};

// Appends the head (ending with the empty line) to `out`. A handler's header whose name or
// value holds CR or LF is dropped: it could split the response.
void render_head(std::string& out, const response& r, const head_facts& facts);

}  // namespace kemas::http
