#include "app/services/tus_writer.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <exception>

#include "adapters/log/logging.hpp"

namespace kemas::app {
namespace asio = boost::asio;

namespace detail {

// One part on its way to S3 and into the record. Its transfer owns the bytes and records the
// part as soon as S3 acknowledged it and the part before it is recorded (parts are recorded in
// order), so the offset HEAD reports moves while the body still arrives — also when the
// client stalls with a part in flight. Whoever waits for it waits on `signal`, which the
// transfer cancels once it is settled (all on the request's executor).
struct part_job {
  explicit part_job(const asio::any_io_executor& ex)
      : signal(ex, asio::steady_timer::time_point::max()) {}
  model::tus_part part;
  std::uint64_t end_offset = 0;  // the upload's offset once this part is recorded
  std::string sha256_state;      // the digest's midstate there
  std::shared_ptr<const std::string> bytes;
  std::shared_ptr<part_job> previous;  // recorded before this one
  bool settled = false;
  std::optional<error> failure;  // S3 refused it, an earlier part failed, or fenced out
  asio::steady_timer signal;
};

}  // namespace detail

namespace {

error fenced_out() {
  return make_error(errc::locked, "another request took this upload over", "upload");
}

asio::awaitable<void> wait_settled(detail::part_job& job) {
  while (!job.settled) {
    boost::system::error_code ignored;
    co_await job.signal.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
}

// Everything it uses is owned or outlives the writer: the stores are the api's.
asio::awaitable<void> transfer(std::shared_ptr<detail::part_job> job, ports::part_store& parts,
                               ports::tus_store& store, std::string key,
                               std::string multipart_upload_id, uuid upload_id,
                               std::int64_t fence, bool defer_records) {
  try {
    auto etag = co_await parts.put_part(std::move(key), std::move(multipart_upload_id),
                                        job->part.number, job->bytes);
    job->bytes.reset();
    if (job->previous)
      co_await wait_settled(*job->previous);
    if (!etag) {
      job->failure = etag.error();
    } else if (job->previous && job->previous->failure) {
      job->failure = *job->previous->failure;
    } else {
      job->part.etag = std::move(*etag);
      if (!defer_records) {
        ports::tus_progress progress;
        progress.parts.push_back(job->part);
        progress.offset = job->end_offset;
        progress.sha256_state = job->sha256_state;
        if (!co_await store.record(upload_id, fence, std::move(progress)))
          job->failure = fenced_out();
      }
    }
  } catch (const std::exception& e) {
    log::warn("tus part not stored or recorded", {{"error", e.what()}});
    job->failure = make_error(errc::backend_unavailable, "object storage or the database is "
                                                         "unavailable");
  }
  job->bytes.reset();
  job->previous.reset();
  job->settled = true;
  job->signal.cancel();
}

}  // namespace

tus_writer::tus_writer(ports::tus_store& store, ports::part_store& parts,
                       ports::upload_store& uploads, const config::upload_settings& settings,
                       ports::tus_writer_state state, crypto::resumable_sha256 hash,
                       bool defer_records, timestamp abandon_at)
    : store_(store),
      parts_(parts),
      uploads_(uploads),
      settings_(settings),
      state_(std::move(state)),
      hash_(std::move(hash)),
      defer_records_(defer_records),
      abandon_at_(abandon_at),
      offset_(state_.upload.offset),
      buffer_(std::move(state_.tail)),
      next_number_(state_.first_part),
      numbers_left_(state_.part_count) {}

tus_writer::~tus_writer() = default;

asio::awaitable<result<void>> tus_writer::write(std::string_view bytes) {
  const std::size_t part_size = settings_.part_size;
  while (!bytes.empty()) {
    const std::size_t take = std::min(part_size - buffer_.size(), bytes.size());
    if (buffer_.capacity() < part_size)
      buffer_.reserve(part_size);
    const std::string_view piece = bytes.substr(0, take);
    hash_.update(piece);
    buffer_.append(piece);
    offset_ += take;
    bytes.remove_prefix(take);
    if (buffer_.size() == part_size) {
      if (auto sent = co_await send_part(); !sent)
        co_return sent;
    }
  }
  co_return result<void>{};
}

asio::awaitable<result<void>> tus_writer::open_multipart() {
  const model::tus_upload& u = state_.upload;
  auto opened = co_await parts_.begin(u.object_key, u.content_type);
  if (!opened)
    co_return opened.error();
  // Recorded (with the object cleaner's claim) before the first part: a process that dies
  // from here on leaves nothing the cleaner cannot find.
  const bool recorded = co_await store_.set_multipart(u.owner_id, u.id, state_.fence, u.object_key,
                                                      *opened, abandon_at_);
  if (!recorded)
    co_return fenced_out();
  state_.multipart_upload_id = std::move(*opened);
  co_return result<void>{};
}

asio::awaitable<result<void>> tus_writer::send_part() {
  while (in_flight_.size() >= std::max(1u, settings_.parts_in_flight)) {
    if (auto oldest = co_await wait_for_part(); !oldest)
      co_return oldest;
  }
  if (numbers_left_ <= 0)
    co_return make_error(errc::payload_too_large, "the upload needs more than 10,000 parts",
                         "file");
  if (!state_.multipart_upload_id) {
    if (auto opened = co_await open_multipart(); !opened)
      co_return opened;
  }
  const auto ex = co_await asio::this_coro::executor;
  auto job = std::make_shared<detail::part_job>(ex);
  job->part.number = next_number_++;
  --numbers_left_;
  job->part.size = buffer_.size();
  job->end_offset = offset_;
  job->sha256_state = hash_.save();
  job->bytes = std::make_shared<const std::string>(std::move(buffer_));
  if (!in_flight_.empty())
    job->previous = in_flight_.back();
  buffer_ = std::string();
  asio::co_spawn(ex,
                 transfer(job, parts_, store_, state_.upload.object_key,
                          *state_.multipart_upload_id, state_.upload.id, state_.fence,
                          defer_records_),
                 asio::detached);
  in_flight_.push_back(std::move(job));
  co_return result<void>{};
}

asio::awaitable<result<void>> tus_writer::wait_for_part() {
  auto job = in_flight_.front();
  co_await wait_settled(*job);
  in_flight_.pop_front();
  if (job->failure) {
    failed_ = true;
    co_return *job->failure;
  }
  if (defer_records_)
    unrecorded_.push_back(std::move(job->part));
  co_return result<void>{};
}

asio::awaitable<result<void>> tus_writer::drain() {
  while (!in_flight_.empty()) {
    if (auto oldest = co_await wait_for_part(); !oldest) {
      // What S3 acknowledged before the failure is recorded; the rest is let go (the
      // transfers own their bytes and end by themselves).
      in_flight_.clear();
      co_return oldest;
    }
  }
  co_return result<void>{};
}

asio::awaitable<result<void>> tus_writer::record(ports::tus_progress progress) {
  const bool recorded = co_await store_.record(state_.upload.id, state_.fence, std::move(progress));
  if (!recorded) {
    failed_ = true;
    co_return fenced_out();
  }
  co_return result<void>{};
}

asio::awaitable<result<void>> tus_writer::settle() {
  if (failed_)
    co_return make_error(errc::backend_unavailable, "object storage is unavailable");
  if (auto drained = co_await drain(); !drained)
    co_return drained;
  ports::tus_progress progress;
  progress.parts = std::move(unrecorded_);
  progress.offset = offset_;
  progress.sha256_state = hash_.save();
  progress.tail = buffer_;
  // Every part of this PATCH is settled: the numbers it did not use go back (a fenced-out
  // writer records nothing, so a newer PATCH's numbers are never touched).
  progress.unused_from = next_number_;
  co_return co_await record(std::move(progress));
}

asio::awaitable<result<ports::stored_body>> tus_writer::finish() {
  const model::tus_upload& u = state_.upload;
  ports::stored_body body;
  body.size = offset_;
  body.sha256 = hash_.hex();
  if (!state_.multipart_upload_id && in_flight_.empty()) {
    // Every byte is in the buffer: the upload never needed a part.
    if (buffer_.size() <= settings_.inline_max) {
      body.inline_bytes = std::move(buffer_);
      co_return body;
    }
    const auto abandon_after = std::chrono::duration_cast<std::chrono::milliseconds>(
        abandon_at_ - std::chrono::system_clock::now());
    const std::optional<std::string> no_multipart;
    co_await uploads_.hold_object(u.owner_id, u.id, u.object_key, no_multipart, abandon_after);
    auto bytes = std::make_shared<const std::string>(std::move(buffer_));
    if (auto put = co_await parts_.put(u.object_key, u.content_type, std::move(bytes)); !put)
      co_return put.error();
    co_return body;
  }
  if (!buffer_.empty()) {
    if (auto sent = co_await send_part(); !sent)
      co_return sent.error();
  }
  if (auto drained = co_await drain(); !drained)
    co_return drained.error();
  if (!unrecorded_.empty()) {
    ports::tus_progress progress;
    progress.parts = std::move(unrecorded_);
    progress.offset = offset_;
    progress.sha256_state = hash_.save();
    if (auto recorded = co_await record(std::move(progress)); !recorded)
      co_return recorded.error();
  }
  auto all_parts = co_await store_.parts(u.id);
  if (auto joined = co_await parts_.complete(u.object_key, *state_.multipart_upload_id,
                                             std::move(all_parts));
      !joined)
    co_return joined.error();
  co_return body;
}

}  // namespace kemas::app
