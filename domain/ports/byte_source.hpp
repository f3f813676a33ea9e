#pragma once
// byte_source: bytes that arrive in chunks, pulled one chunk at a time — a request body on its
// way into an upload, an object on its way out to a client. The puller decides the pace, so
// memory stays bounded by one chunk (plus what the source buffers) whatever the size.
// Implemented by the HTTP session (request bodies), app/routes (the file inside a form) and
// adapters/s3 (object_stream). One coroutine at a time calls next().

#include <string_view>

#include "domain/ports/async.hpp"
#include "domain/result.hpp"

namespace kemas::ports {

class byte_source {
 public:
  virtual ~byte_source() = default;
  // The next chunk (valid until the next call); an empty view at the end. An error ends the
  // stream: validation_failed / payload_too_large for a body that breaks a rule,
  // backend_unavailable when the far side failed midway.
  virtual async<result<std::string_view>> next() = 0;
};

}  // namespace kemas::ports
