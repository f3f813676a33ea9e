#include "adapters/s3/object_stream.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <mutex>

#include "adapters/s3/outcome.hpp"

namespace kemas::s3 {
namespace asio = boost::asio;

// The protocol on the channel, in order: one head message (empty data, no error) once S3
// answered, then data chunks (never empty), then the end (empty data, no error) — or, at
// any point, a failure (error set; the S3 error itself in `failure`).
//
// Flow control is ours, not the channel's: the transfer (on the engine's thread, which must
// never block) sends a data chunk only while fewer than `capacity` are unread, and otherwise
// pauses; the reader resumes it when it takes one. try_send therefore never meets a full
// channel: its buffer has room for the head, the last partial chunk and the end on top.
struct object_stream::shared {
  using channel_type =
      asio::experimental::concurrent_channel<void(boost::system::error_code, std::string)>;

  shared(asio::any_io_executor executor, object_stream_options opts, transfer_engine& eng)
      : options(opts), channel(std::move(executor), opts.capacity + 3), engine(eng) {}

  // --- the transfer's side (engine thread) ---

  detail::write_verdict take(std::string_view bytes) {
    std::lock_guard lock(mutex);
    if (abandoned)
      return detail::write_verdict::stop;
    if (pending.size() >= options.chunk_bytes) {
      if (unread >= options.capacity) {
        paused = true;  // curl keeps `bytes` and offers them again after resume
        return detail::write_verdict::pause;
      }
      send_pending();
    }
    pending.append(bytes);
    return detail::write_verdict::taken;
  }

  void head(const detail::response_head& answer) {
    info = s3_client::get_info_of(answer);  // before the message that announces it
    channel.try_send(boost::system::error_code{}, std::string());
  }

  void done(detail::response& res) {
    std::optional<s3_error> error;
    try {
      error = detail::check(res);
    } catch (const std::exception& e) {
      error = s3_error{s3_errc::protocol, 0, "exception", e.what()};
    }
    std::lock_guard lock(mutex);
    if (abandoned)
      return;
    if (error) {
      failure = *error;
      channel.try_send(asio::error::make_error_code(asio::error::connection_aborted),
                       std::string());
      return;
    }
    if (!pending.empty())
      send_pending();
    channel.try_send(boost::system::error_code{}, std::string());
  }

  // --- the reader's side ---

  // A data chunk was taken out: the transfer may go on if it waited for room.
  void consumed() {
    bool resume = false;
    {
      std::lock_guard lock(mutex);
      --unread;
      resume = paused;
      paused = false;
    }
    if (resume)
      engine.resume(transfer);
  }

  void abandon() {
    {
      std::lock_guard lock(mutex);
      abandoned = true;
    }
    channel.close();
    if (transfer)
      engine.cancel(transfer);
  }

  const object_stream_options options;
  channel_type channel;
  transfer_engine& engine;
  transfer_engine::token transfer;  // set by open() before any callback can need it
  std::mutex mutex;
  std::string pending;  // bytes not yet sent as a chunk
  std::size_t unread = 0;
  bool paused = false;
  bool abandoned = false;
  get_info info;
  s3_error failure;

 private:
  void send_pending() {  // with `mutex` held
    std::string chunk;
    chunk.swap(pending);
    ++unread;
    channel.try_send(boost::system::error_code{}, std::move(chunk));
  }
};

asio::awaitable<s3_result<std::shared_ptr<object_stream>>> object_stream::open(
    s3_service& storage, std::string key, std::optional<s3::byte_range> range,
    object_stream_options options) {
  auto request = storage.client().get_request(key, range);
  if (!request)
    co_return request.error();
  auto executor = co_await asio::this_coro::executor;
  auto st = std::make_shared<shared>(executor, options, storage.engine());
  request->timeout = options.transfer_timeout;
  // The callbacks see the state only while the stream holds it (the state holds the
  // transfer: a strong reference back would keep both alive forever). Once the reader is
  // gone the transfer is cancelled, and a callback already running stops it.
  std::weak_ptr<shared> weak = st;
  request->on_head = [weak](const detail::response_head& head) {
    auto state = weak.lock();
    if (state)
      state->head(head);
    return state != nullptr;
  };
  request->paced_sink = [weak](std::string_view bytes) {
    auto state = weak.lock();
    return state ? state->take(bytes) : detail::write_verdict::stop;
  };
  auto on_done = [weak](detail::response& res) {
    if (auto state = weak.lock())
      state->done(res);
  };
  st->transfer = storage.engine().start(storage.client().transport(), std::move(*request),
                                        std::move(on_done));
  auto stream = std::make_shared<object_stream>(st);
  auto [ec, data] = co_await st->channel.async_receive(asio::as_tuple(asio::use_awaitable));
  if (ec) {
    // Either the transfer's failure, or (closed) nothing we caused: report it as transient.
    if (ec == asio::error::connection_aborted)
      co_return st->failure;
    co_return s3_error{s3_errc::transient, 0, "channel", ec.message()};
  }
  co_return stream;
}

object_stream::object_stream(std::shared_ptr<shared> state) : state_(std::move(state)) {}

object_stream::~object_stream() {
  state_->abandon();
}

const get_info& object_stream::info() const noexcept {
  return state_->info;
}

asio::awaitable<result<std::string_view>> object_stream::next() {
  if (finished_)
    co_return std::string_view{};
  auto [ec, data] = co_await state_->channel.async_receive(asio::as_tuple(asio::use_awaitable));
  if (ec) {
    finished_ = true;
    const std::string detail =
        ec == asio::error::connection_aborted ? state_->failure.describe() : ec.message();
    co_return make_error(errc::backend_unavailable, "download interrupted: " + detail);
  }
  if (data.empty()) {
    finished_ = true;
    co_return std::string_view{};
  }
  state_->consumed();
  current_ = std::move(data);
  co_return std::string_view(current_);
}

}  // namespace kemas::s3
