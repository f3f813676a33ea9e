#pragma once
// object_streams: the bucket as the api sees it — bodies streamed in as they arrive, objects
// streamed out to clients (the workers' blocking view is object_store.hpp). Implemented by
// adapters/s3 (s3_object_streams) and in memory for unit tests. Faults are values:
// backend_unavailable (the store failed or answered something unusable), logged by the
// implementation with the detail.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "domain/byte_range.hpp"
#include "domain/ports/async.hpp"
#include "domain/ports/byte_source.hpp"
#include "domain/result.hpp"

namespace kemas::ports {

// What an upload's body became.
struct stored_body {
  std::uint64_t size = 0;
  std::string sha256;                       // 64 lower-hex, of every byte written
  std::optional<std::string> inline_bytes;  // the body, when it is small enough to ride in the
                                            // `upload` command instead of being stored here
};

// Called once before the first request that leaves anything in the store for this upload
// (a PUT, or the first part of a multipart upload, with S3's multipart upload id), so the
// caller can record what to clean up if the process dies mid-way. An error stops the upload
// before it stores anything (an empty multipart upload may exist; abandon() aborts it).
using before_store_hook =
    std::function<async<result<void>>(const std::optional<std::string>& multipart_upload_id)>;

// Where one upload's body goes while it arrives. It hashes every byte and keeps a body of at
// most upload.inline_max bytes in memory (inline_bytes: the worker stores it); a larger one
// goes to its object key while it arrives, memory bounded by about two parts. Every upload
// ends with finish() or abandon() (also after a failed write or finish), so nothing stays in
// the store for a body that was not accepted. One coroutine at a time.
class object_upload {
 public:
  virtual ~object_upload() = default;
  virtual async<result<void>> write(std::string_view bytes) = 0;
  // The body is complete: stores what is buffered and completes the object.
  virtual async<result<stored_body>> finish() = 0;
  // Removes whatever reached the store. Never fails: a leftover is logged for an operator.
  virtual async<void> abandon() = 0;
  virtual std::uint64_t size() const noexcept = 0;  // bytes written so far
};

// An object on its way out: its bytes as a stream, and how many it will yield.
struct object_body {
  std::shared_ptr<byte_source> bytes;
  std::uint64_t length = 0;
};

class object_streams {
 public:
  virtual ~object_streams() = default;

  // `length`: the body's exact size when the client declared it (Content-Length), which lets
  // the store take it in one streamed request; nullopt for a body of unknown length. A body
  // that stays inline never calls `before_store`.
  virtual std::unique_ptr<object_upload> upload(std::string key, std::string content_type,
                                                std::optional<std::uint64_t> length,
                                                before_store_hook before_store) = 0;

  // Starts reading the object at `key` (all of it, or `range`) and returns once the store
  // answered. backend_unavailable when it cannot deliver (missing, down).
  virtual async<result<object_body>> open(std::string key, std::optional<byte_range> range) = 0;
};

}  // namespace kemas::ports
