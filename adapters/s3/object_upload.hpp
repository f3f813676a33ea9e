#pragma once
// object_upload: ports::object_upload over S3 (the contract is domain/ports/object_streams.hpp)
// for bodies of unknown length or above upload.single_put_max (streamed_put takes the others).
// A body of at most upload.inline_max bytes stays in memory (it travels inside the `upload`
// command); a larger one goes to its final object key: one PUT when it ends within the first
// part, else an S3 multipart upload whose parts go out while the next part arrives, up to
// upload.parts_in_flight at once. Memory is bounded by (parts_in_flight + 1) parts
// (upload.part_size): the part being filled and those being sent; a full part waits for the
// oldest in flight to be sent (backpressure on the client). A part in flight owns its bytes,
// so abandoning never leaves a transfer pointing at freed memory.
//
// Threading: one coroutine at a time (the request's); S3 calls run on s3_service's pool.
// S3 failures come back as backend_unavailable errors.

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/config/settings.hpp"
#include "adapters/crypto/sha256_stream.hpp"
#include "adapters/s3/client.hpp"
#include "domain/ports/object_streams.hpp"
#include "domain/result.hpp"
#include "domain/non_copyable.hpp"

namespace kemas::s3 {

class s3_service;

namespace detail {
struct part_in_flight;
}

class object_upload final : public ports::object_upload, kemas::non_copyable {
 public:
  object_upload(s3_service& storage, std::string object_key, std::string content_type,
                const config::upload_settings& settings, ports::before_store_hook before_store);
  ~object_upload() override;

  boost::asio::awaitable<result<void>> write(std::string_view bytes) override;
  boost::asio::awaitable<result<ports::stored_body>> finish() override;
  // Aborts a multipart upload, deletes a stored object.
  boost::asio::awaitable<void> abandon() override;

  std::uint64_t size() const noexcept override { return size_; }

 private:
  boost::asio::awaitable<result<void>> send_part();
  // Waits for the oldest part in flight and records it.
  boost::asio::awaitable<result<void>> wait_for_part();
  error storage_failed(std::string_view step, const s3_error& failure) const;

  s3_service& storage_;
  std::string key_;
  std::string content_type_;
  std::size_t inline_max_;
  std::size_t part_size_;
  std::size_t parts_in_flight_;
  crypto::sha256_stream hash_;
  std::uint64_t size_ = 0;
  std::string buffer_;
  ports::before_store_hook before_store_;
  std::optional<std::string> multipart_id_;
  std::vector<completed_part> parts_;
  std::deque<std::shared_ptr<detail::part_in_flight>> in_flight_;  // oldest first
  bool object_stored_ = false;
};

}  // namespace kemas::s3
