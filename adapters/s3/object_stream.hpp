#pragma once
// object_stream: an S3 GET streamed to an HTTP client with bounded memory and no thread of
// its own. The GET runs on s3_service's transfer_engine (curl's multi interface); its body
// reaches the reader in chunks through a bounded channel. When `capacity` chunks wait
// unread the transfer pauses (curl stops reading the socket, so S3 is throttled by TCP flow
// control) and resumes when the reader takes one: a slow reader costs a socket and its
// buffers, never a thread, and does not delay any other transfer.
//
// Memory per stream: about (capacity + 2) chunks (the channel, the chunk being filled) of
// chunk_bytes plus at most one curl write (its 256 KiB receive buffer), and that buffer.
//
// Lifetime and threading: open() and next() are called from one coroutine at a time (the
// HTTP session). Destroying the stream (the client went away, a HEAD request, an early error)
// closes the channel and cancels the transfer, so an abandoned download stops at once.
#include "adapters/s3/async_client.hpp"
#include "adapters/s3/client.hpp"
#include "domain/ports/byte_source.hpp"
#include "domain/non_copyable.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

namespace kemas::s3 {

struct object_stream_options {
  std::size_t chunk_bytes = 64 * 1024;
  std::size_t capacity = 4;  // chunks buffered between S3 and the client
  // The whole transfer's budget: long, because it lasts as long as the client takes; a client
  // that stops reading is cut by the HTTP server's idle timeout, which ends the transfer.
  std::chrono::milliseconds transfer_timeout = std::chrono::hours(6);
};

class object_stream final : public ports::byte_source, kemas::non_copyable {
 public:
  struct shared;  // state shared with the transfer on the pool (object_stream.cpp)

  // Starts GET `key` (or `range` of it) on `storage`'s pool and waits until S3 answered
  // with its headers. The error when S3 refuses or fails before the first body byte
  // (not_found, invalid_range, transient, ...). `storage` must outlive the stream.
  static boost::asio::awaitable<s3_result<std::shared_ptr<object_stream>>> open(
      s3_service& storage, std::string key, std::optional<s3::byte_range> range,
      object_stream_options options = {});

  explicit object_stream(std::shared_ptr<shared> state);
  ~object_stream() override;

  // S3's answer: status, content_length (bytes this stream will yield), content_range, etag.
  const get_info& info() const noexcept;

  // The next chunk, valid until the next call; empty at the end. backend_unavailable when
  // the transfer fails midway (the HTTP client then sees a short body and a closed
  // connection).
  boost::asio::awaitable<result<std::string_view>> next() override;

 private:
  std::shared_ptr<shared> state_;
  std::string current_;
  bool finished_ = false;
};

}  // namespace kemas::s3
