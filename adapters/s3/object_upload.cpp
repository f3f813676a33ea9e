#include "adapters/s3/object_upload.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <exception>

#include "adapters/log/logging.hpp"
#include "adapters/s3/async_client.hpp"

namespace kemas::s3 {
namespace asio = boost::asio;

namespace detail {

// One part on its way to S3. The transfer owns the bytes; the request coroutine waits on
// `signal`, which the transfer cancels when it is done (both run on the request's executor).
struct part_in_flight {
  explicit part_in_flight(const asio::any_io_executor& ex)
      : signal(ex, asio::steady_timer::time_point::max()) {}
  int number = 0;
  bool done = false;
  std::optional<s3_result<std::string>> etag;
  std::exception_ptr thrown;
  asio::steady_timer signal;
};

}  // namespace detail

namespace {

asio::awaitable<void> transfer_part(std::shared_ptr<detail::part_in_flight> part,
                                    s3_service& storage, std::string key, std::string upload_id,
                                    std::string bytes) {
  try {
    const int number = part->number;
    auto job = [&key, &upload_id, number, &bytes](s3_client& client) {
      return client.upload_part(key, upload_id, number, bytes);
    };
    auto sent = co_await storage.run(std::move(job));
    part->etag.emplace(std::move(sent));
  } catch (...) {
    part->thrown = std::current_exception();
  }
  part->done = true;
  part->signal.cancel();
}

}  // namespace

object_upload::object_upload(s3_service& storage, std::string object_key, std::string content_type,
                             const config::upload_settings& settings,
                             ports::before_store_hook before_store)
    : storage_(storage),
      key_(std::move(object_key)),
      content_type_(std::move(content_type)),
      inline_max_(settings.inline_max),
      part_size_(settings.part_size),
      parts_in_flight_(std::max<std::size_t>(1, settings.parts_in_flight)),
      before_store_(std::move(before_store)) {}

object_upload::~object_upload() = default;

error object_upload::storage_failed(std::string_view step, const s3_error& failure) const {
  log::warn("upload storage failed",
            {{"object_key", key_}, {"step", std::string(step)}, {"error", failure.describe()}});
  return make_error(errc::backend_unavailable, "object storage is unavailable");
}

asio::awaitable<result<void>> object_upload::write(std::string_view bytes) {
  hash_.update(bytes);
  size_ += bytes.size();
  while (!bytes.empty()) {
    // Parts are cut at exactly part_size, so the buffer never outgrows the one allocation
    // it gets once the body is too large to ride inline.
    const std::size_t take = std::min(part_size_ - buffer_.size(), bytes.size());
    if (buffer_.size() + take > inline_max_ && buffer_.capacity() < part_size_)
      buffer_.reserve(part_size_);
    buffer_.append(bytes.substr(0, take));
    bytes.remove_prefix(take);
    if (buffer_.size() == part_size_) {
      if (auto sent = co_await send_part(); !sent)
        co_return sent;
    }
  }
  co_return result<void>{};
}

// Starts sending the buffer as the next part, once fewer than parts_in_flight are on their way.
asio::awaitable<result<void>> object_upload::send_part() {
  while (in_flight_.size() >= parts_in_flight_) {
    if (auto oldest = co_await wait_for_part(); !oldest)
      co_return oldest;
  }
  if (!multipart_id_) {
    auto job = [this](s3_client& client) {
      return client.create_multipart_upload(key_, content_type_);
    };
    auto created = co_await storage_.run(std::move(job));
    if (!created)
      co_return storage_failed("create multipart upload", created.error());
    multipart_id_ = std::move(*created);
    // Recorded before the first part: an upload abandoned from here on can be aborted by
    // its id, without listing the bucket's multipart uploads.
    if (before_store_) {
      if (auto recorded = co_await before_store_(multipart_id_); !recorded)
        co_return recorded;
    }
  }
  const auto ex = co_await asio::this_coro::executor;
  auto part = std::make_shared<detail::part_in_flight>(ex);
  part->number = static_cast<int>(parts_.size() + in_flight_.size()) + 1;
  std::string bytes;
  bytes.swap(buffer_);
  buffer_.reserve(part_size_);
  auto transfer = transfer_part(part, storage_, key_, *multipart_id_, std::move(bytes));
  asio::co_spawn(ex, std::move(transfer), asio::detached);
  in_flight_.push_back(std::move(part));
  co_return result<void>{};
}

asio::awaitable<result<void>> object_upload::wait_for_part() {
  if (in_flight_.empty())
    co_return result<void>{};
  auto part = std::move(in_flight_.front());
  in_flight_.pop_front();
  while (!part->done) {
    boost::system::error_code ignored;
    co_await part->signal.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
  if (part->thrown)
    std::rethrow_exception(part->thrown);
  if (!*part->etag)
    co_return storage_failed("upload part", part->etag->error());
  parts_.push_back({part->number, std::move(**part->etag)});
  co_return result<void>{};
}

asio::awaitable<result<ports::stored_body>> object_upload::finish() {
  ports::stored_body body;
  body.size = size_;
  body.sha256 = hash_.finish_hex();
  if (!multipart_id_ && size_ <= inline_max_) {
    body.inline_bytes = std::move(buffer_);
    co_return body;
  }
  if (!multipart_id_) {
    if (before_store_) {
      if (auto recorded = co_await before_store_(std::nullopt); !recorded)
        co_return recorded.error();
    }
    auto job = [this](s3_client& client) {
      return client.put_object(key_, buffer_, content_type_);
    };
    auto put = co_await storage_.run(std::move(job));
    if (!put)
      co_return storage_failed("put object", put.error());
    object_stored_ = true;
    co_return body;
  }
  if (!buffer_.empty()) {
    if (auto sent = co_await send_part(); !sent)
      co_return sent.error();
  }
  while (!in_flight_.empty()) {
    if (auto sent = co_await wait_for_part(); !sent)
      co_return sent.error();
  }
  auto job = [this](s3_client& client) {
    return client.complete_multipart_upload(key_, *multipart_id_, parts_);
  };
  auto completed = co_await storage_.run(std::move(job));
  if (!completed)
    co_return storage_failed("complete multipart upload", completed.error());
  object_stored_ = true;
  co_return body;
}

asio::awaitable<void> object_upload::abandon() {
  while (!in_flight_.empty()) {
    try {
      co_await wait_for_part();  // its outcome no longer matters
    } catch (const std::exception&) {
    }
  }
  if (multipart_id_ && !object_stored_) {
    auto job = [this](s3_client& client) {
      return client.abort_multipart_upload(key_, *multipart_id_);
    };
    auto aborted = co_await storage_.run(std::move(job));
    if (!aborted)  // s3rver does not implement abort (405): its parts stay in its temp area
      log::info("multipart upload not aborted",
                {{"object_key", key_}, {"error", aborted.error().describe()}});
  }
  if (object_stored_) {
    auto job = [this](s3_client& client) { return client.delete_object(key_); };
    auto deleted = co_await storage_.run(std::move(job));
    if (!deleted)
      log::error("abandoned upload left an object behind",
                 {{"object_key", key_}, {"error", deleted.error().describe()}});
  }
  buffer_.clear();
  buffer_.shrink_to_fit();
}

}  // namespace kemas::s3
