#pragma once
// tus_writer: the bytes of one tus PATCH on their way to S3 (issue 17). The body is cut into
// parts of exactly upload.part_size (S3 takes only full parts but the last); each part goes
// out while the next one fills, up to upload.parts_in_flight at once, and is recorded in
// PostgreSQL (number, size, ETag, the offset after it and the SHA-256 midstate there) as soon
// as S3 acknowledges it, in order. So memory is bounded by (parts_in_flight + 1) parts, and
// whatever S3 acknowledged survives this process. When the body ends short of a part, the
// bytes after the last part are recorded as the tail (at most one part) for the next PATCH.
//
// Every write names the PATCH's fencing token: once a newer PATCH took the upload over,
// record() matches no row and the writer stops with `locked`. Part numbers come from the
// range take_over reserved for this PATCH, so a stalled writer's late part can never replace
// one a newer writer recorded.
//
// With `defer_records` (the client sent Upload-Checksum) nothing is recorded until the body
// is complete and verified: parts still go out as they fill, and the records are made in one
// statement by settle() — or never, when the checksum does not match.
//
// Threading: one coroutine at a time (the request's); parts go out on s3's pool.

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/config/settings.hpp"
#include "adapters/crypto/resumable_sha256.hpp"
#include "domain/ports/object_streams.hpp"
#include "domain/ports/part_store.hpp"
#include "domain/ports/tus_store.hpp"
#include "domain/ports/upload_store.hpp"
#include "domain/result.hpp"

namespace kemas::app {

namespace detail {
struct part_job;
}

class tus_writer {
 public:
  // `hash` continues the digest after the upload's offset (state.sha256_state).
  tus_writer(ports::tus_store& store, ports::part_store& parts, ports::upload_store& uploads,
             const config::upload_settings& settings, ports::tus_writer_state state,
             crypto::resumable_sha256 hash, bool defer_records, timestamp abandon_at);
  ~tus_writer();
  tus_writer(const tus_writer&) = delete;
  tus_writer& operator=(const tus_writer&) = delete;

  boost::asio::awaitable<result<void>> write(std::string_view bytes);

  // The body ended short of the upload's end (or broke off): waits for the parts in flight,
  // then records the position, the tail and the digest's midstate. The error of the first
  // part S3 refused (what it acknowledged before stays recorded), or `locked` when fenced out.
  boost::asio::awaitable<result<void>> settle();

  // The last byte is in: sends the tail as the last part, records, and joins the parts into
  // the object (or, for an upload that never needed a part, stores it in one PUT or keeps it
  // inline for the `upload` command). The body as the command describes it.
  boost::asio::awaitable<result<ports::stored_body>> finish();

  std::uint64_t offset() const noexcept { return offset_; }  // every byte received so far
  const ports::tus_writer_state& state() const noexcept { return state_; }

 private:
  boost::asio::awaitable<result<void>> send_part();
  boost::asio::awaitable<result<void>> open_multipart();
  // Waits until the oldest part in flight is settled (recorded by its transfer, or kept for
  // settle() when records are deferred).
  boost::asio::awaitable<result<void>> wait_for_part();
  boost::asio::awaitable<result<void>> drain();
  boost::asio::awaitable<result<void>> record(ports::tus_progress progress);

  ports::tus_store& store_;
  ports::part_store& parts_;
  ports::upload_store& uploads_;
  const config::upload_settings& settings_;
  ports::tus_writer_state state_;
  crypto::resumable_sha256 hash_;
  bool defer_records_;
  timestamp abandon_at_;
  std::uint64_t offset_;  // bytes received, the tail included
  std::string buffer_;    // the part being filled (it starts with the stored tail)
  int next_number_;
  int numbers_left_;
  std::deque<std::shared_ptr<detail::part_job>> in_flight_;  // oldest first
  std::vector<model::tus_part> unrecorded_;  // defer_records: acknowledged, not yet recorded
  bool failed_ = false;
};

}  // namespace kemas::app
