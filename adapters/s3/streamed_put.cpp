#include "adapters/s3/streamed_put.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <mutex>
#include <optional>

#include "adapters/log/logging.hpp"
#include "adapters/s3/async_client.hpp"
#include "adapters/s3/byte_ring.hpp"
#include "adapters/s3/outcome.hpp"

namespace kemas::s3 {
namespace asio = boost::asio;

// Between the request's coroutine (writer) and the transfer on the engine's thread (reader).
// The engine's thread never blocks: an empty buffer pauses the transfer, and the writer
// resumes it. The writer waits on `wake` (capacity 1: a wake-up that finds one pending is
// dropped, which loses nothing because every waiter re-checks the state under the mutex).
struct streamed_put::shared {
  using channel_type = asio::experimental::concurrent_channel<void(boost::system::error_code)>;

  shared(asio::any_io_executor executor, transfer_engine& eng, std::size_t capacity_bytes)
      : wake(std::move(executor), 1), engine(eng), ring(capacity_bytes) {}

  // --- the transfer's side (engine thread) ---

  detail::read_verdict read(char* buffer, std::size_t max) {
    std::lock_guard lock(mutex);
    if (abandoned)
      return {0, false};  // curl aborts the PUT: the object is never stored
    if (ring.size() == 0) {
      paused = true;
      return {0, true};
    }
    const std::size_t copied = ring.take(buffer, max);
    handed += copied;
    if (writer_waiting && ring.size() <= ring.capacity() / 2) {
      writer_waiting = false;
      wake.try_send(boost::system::error_code{});
    }
    return {copied, false};
  }

  void done(detail::response& res) {
    std::optional<s3_error> error;
    try {
      error = detail::check(res);
    } catch (const std::exception& e) {
      error = s3_error{s3_errc::protocol, 0, "exception", e.what()};
    }
    std::lock_guard lock(mutex);
    ended = true;
    failure = std::move(error);
    wake.try_send(boost::system::error_code{});
  }

  // --- the writer's side ---

  enum class push_outcome { all_taken, wait_for_room, failed, ended };

  // Copies what fits of `bytes` into the ring (dropping it from `bytes`) and lets a transfer
  // that ran dry go on. In the same critical section the writer declares that it waits, so
  // the reader cannot drain the ring unnoticed in between.
  push_outcome push(std::string_view& bytes) {
    bool resume = false;
    push_outcome outcome = push_outcome::all_taken;
    {
      std::lock_guard lock(mutex);
      if (ended)
        return failure ? push_outcome::failed : push_outcome::ended;
      const std::size_t taken = ring.put(bytes.data(), bytes.size());
      bytes.remove_prefix(taken);
      resume = taken > 0 && std::exchange(paused, false);
      if (!bytes.empty()) {
        writer_waiting = true;
        outcome = push_outcome::wait_for_room;
      }
    }
    if (resume)
      engine.resume(transfer);
    return outcome;
  }

  channel_type wake;
  transfer_engine& engine;
  transfer_engine::token transfer;  // set before any bytes are pushed
  std::mutex mutex;
  byte_ring ring;  // bytes not yet handed to curl
  std::uint64_t handed = 0;  // bytes curl has taken: all of them means S3 may store the object
  bool paused = false;
  bool writer_waiting = false;
  bool abandoned = false;
  bool ended = false;  // done() ran; `failure` says how
  std::optional<s3_error> failure;
};

streamed_put::streamed_put(s3_service& storage, std::string object_key, std::string content_type,
                           std::uint64_t length, std::size_t buffer_bytes,
                           ports::before_store_hook before_store)
    : storage_(storage),
      key_(std::move(object_key)),
      content_type_(std::move(content_type)),
      length_(length),
      buffer_bytes_(buffer_bytes),
      before_store_(std::move(before_store)) {}

streamed_put::~streamed_put() {
  if (!state_)
    return;
  {
    std::lock_guard lock(state_->mutex);
    state_->abandoned = true;
  }
  state_->wake.close();
  storage_.engine().cancel(state_->transfer);
}

error streamed_put::storage_failed(std::string_view step, const s3_error& failure) const {
  log::warn("upload storage failed",
            {{"object_key", key_}, {"step", std::string(step)}, {"error", failure.describe()}});
  return make_error(errc::backend_unavailable, "object storage is unavailable");
}

asio::awaitable<result<void>> streamed_put::start() {
  if (before_store_) {
    if (auto recorded = co_await before_store_(std::nullopt); !recorded)
      co_return recorded;
  }
  auto request = storage_.client().put_request(key_, content_type_, length_);
  if (!request)
    co_return storage_failed("put object", request.error());
  auto executor = co_await asio::this_coro::executor;
  // No more room than the body needs.
  const auto ring_bytes = static_cast<std::size_t>(std::min<std::uint64_t>(buffer_bytes_, length_));
  auto st = std::make_shared<shared>(executor, storage_.engine(), ring_bytes);
  // The whole PUT lasts as long as the client takes to send the body; the HTTP server's
  // idle and upload timeouts bound that, and abandon() ends the transfer.
  request->timeout = std::chrono::hours(6);
  // Callbacks hold the state weakly (it holds the transfer's token); once the upload is gone
  // the transfer is cancelled, and a callback already running stops it.
  std::weak_ptr<shared> weak = st;
  request->paced_reader = [weak](char* buffer, std::size_t max) {
    auto state = weak.lock();
    return state ? state->read(buffer, max) : detail::read_verdict{0, false};
  };
  auto on_done = [weak](detail::response& res) {
    if (auto state = weak.lock())
      state->done(res);
  };
  st->transfer = storage_.engine().start(storage_.client().transport(), std::move(*request),
                                         std::move(on_done));
  state_ = std::move(st);
  co_return result<void>{};
}

asio::awaitable<result<void>> streamed_put::write(std::string_view bytes) {
  if (size_ + bytes.size() > length_)
    co_return make_error(errc::bad_request, "the body is longer than its Content-Length");
  if (!state_) {
    if (auto started = co_await start(); !started)
      co_return started;
  }
  hash_.update(bytes);
  size_ += bytes.size();
  for (;;) {
    switch (state_->push(bytes)) {
      case shared::push_outcome::failed: {
        std::lock_guard lock(state_->mutex);
        co_return storage_failed("put object", *state_->failure);
      }
      case shared::push_outcome::all_taken:
      case shared::push_outcome::ended:  // finish() reports how
        co_return result<void>{};
      case shared::push_outcome::wait_for_room:
        break;
    }
    auto [ec] = co_await state_->wake.async_receive(asio::as_tuple(asio::use_awaitable));
    if (ec)
      co_return make_error(errc::backend_unavailable, "object storage is unavailable");
  }
}

asio::awaitable<result<ports::stored_body>> streamed_put::finish() {
  if (size_ != length_ || !state_)
    co_return make_error(errc::bad_request, "the body is shorter than its Content-Length");
  for (;;) {
    {
      std::lock_guard lock(state_->mutex);
      if (state_->ended)
        break;
    }
    auto [ec] = co_await state_->wake.async_receive(asio::as_tuple(asio::use_awaitable));
    if (ec)
      co_return make_error(errc::backend_unavailable, "object storage is unavailable");
  }
  if (state_->failure)
    co_return storage_failed("put object", *state_->failure);
  object_stored_ = true;
  ports::stored_body body;
  body.size = size_;
  body.sha256 = hash_.finish_hex();
  co_return body;
}

asio::awaitable<void> streamed_put::abandon() {
  bool may_exist = object_stored_;
  if (state_) {
    bool ended = false;
    {
      std::lock_guard lock(state_->mutex);
      state_->abandoned = true;
      ended = state_->ended;
      // S3 refuses a PUT whose body stops short of its Content-Length, but not every
      // S3-compatible server does (s3rver stores what it got), and once curl has taken every
      // byte the object may exist even if we never hear back. Only a PUT that S3 answered
      // with an error is known to have stored nothing.
      may_exist = may_exist || !ended || !state_->failure;
      state_->ring.clear();
    }
    if (!ended)
      storage_.engine().cancel(state_->transfer);
  }
  if (!may_exist)
    co_return;
  auto job = [this](s3_client& client) { return client.delete_object(key_); };
  auto deleted = co_await storage_.run(std::move(job));
  if (!deleted)
    log::error("abandoned upload left an object behind",
               {{"object_key", key_}, {"error", deleted.error().describe()}});
}

}  // namespace kemas::s3
