#pragma once
// streamed_put: an upload body of known length sent to S3 as ONE PUT while it arrives from
// the HTTP client, on s3_service's transfer_engine (curl's multi interface; no thread of its
// own). S3 gets exactly the declared length (Content-Length, UNSIGNED-PAYLOAD), so the object
// exists only if every byte arrived: there is no multipart upload to complete or to abort,
// and no copy of the object at the end (what made multipart slow on s3rver).
//
// Backpressure both ways: write() copies bytes into a bounded ring (byte_ring.hpp, sized
// upload.put_buffer, allocated once) and waits while it is full, so the client is read no
// faster than S3 takes the bytes; when the ring runs dry the transfer pauses (curl stops
// asking) until the next write resumes it.
// Memory per upload: put_buffer (at most the body's length) and curl's 256 KiB upload buffer.
//
// Threading: write/finish/abandon from one coroutine at a time (the request's); the transfer's
// callbacks run on the engine's thread and meet the coroutine through `shared` (a mutex and a
// wake-up channel). S3 failures come back as backend_unavailable errors.

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "adapters/crypto/sha256_stream.hpp"
#include "domain/non_copyable.hpp"
#include "domain/ports/object_streams.hpp"
#include "domain/result.hpp"

namespace kemas::s3 {

class s3_service;
struct s3_error;

class streamed_put final : public ports::object_upload, kemas::non_copyable {
 public:
  struct shared;  // the state the transfer's callbacks see (streamed_put.cpp)

  // `length` is the body's exact size (more than upload.inline_max, at most 5 GiB).
  streamed_put(s3_service& storage, std::string object_key, std::string content_type,
               std::uint64_t length, std::size_t buffer_bytes,
               ports::before_store_hook before_store);
  ~streamed_put() override;

  boost::asio::awaitable<result<void>> write(std::string_view bytes) override;
  boost::asio::awaitable<result<ports::stored_body>> finish() override;
  // Stops the PUT; deletes the object if it may have been stored.
  boost::asio::awaitable<void> abandon() override;

  std::uint64_t size() const noexcept override { return size_; }

 private:
  boost::asio::awaitable<result<void>> start();
  error storage_failed(std::string_view step, const s3_error& failure) const;

  s3_service& storage_;
  std::string key_;
  std::string content_type_;
  std::uint64_t length_;
  std::size_t buffer_bytes_;
  crypto::sha256_stream hash_;
  std::uint64_t size_ = 0;
  ports::before_store_hook before_store_;
  std::shared_ptr<shared> state_;  // set by the first write
  bool object_stored_ = false;
};

}  // namespace kemas::s3
