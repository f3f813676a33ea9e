// multipart_parser (domain/multipart.hpp) fed arbitrary bodies in arbitrary chunk sizes.
// Input: byte 0 picks the chunk size (1..256), the rest is the body; the boundary is fixed,
// as the route takes it from Content-Type (multipart_boundary has its own check below).
// Invariants: the parser ends (done or failed) once finished, never returns more part bytes
// than it was fed, and never reports more parts than its limit.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "domain/multipart.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0)
    return 0;
  const std::size_t chunk = 1 + data[0] % 256;
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  (void)kemas::multipart_boundary(std::string_view(reinterpret_cast<const char*>(data), size));

  kemas::multipart_limits limits;
  limits.max_parts = 8;
  kemas::multipart_parser parser("fuzzboundary", limits);
  using event = kemas::multipart_parser::event;
  std::size_t fed = 0;
  std::size_t out = 0;
  for (;;) {
    const event e = parser.next();
    if (e == event::data)
      out += parser.data().size();
    if (e == event::done || e == event::failed)
      break;
    if (e != event::need_more)
      continue;
    if (fed >= body.size()) {
      parser.finish();
      continue;
    }
    const std::size_t n = std::min(chunk, body.size() - fed);
    parser.feed(body.substr(fed, n));
    fed += n;
  }
  if (out > body.size() || parser.parts() > limits.max_parts + 1)
    std::abort();
  return 0;
}
