#include "adapters/s3/object_stream.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <condition_variable>
#include <mutex>

namespace kemas::s3 {
namespace asio = boost::asio;

// The protocol on the channel, in order: one head message (empty data, no error) once S3
// answered, then data chunks (never empty), then the end (empty data, no error) — or, at
// any point, a failure (error set; the S3 error itself in `failure`).
//
// Flow control is ours, not the channel's: the producer may only send a data chunk while
// fewer than `capacity` are unread (a condition variable it may block on — it runs on a pool
// thread), so try_send never meets a full channel (its buffer has room for the head and end
// messages on top). Blocking sends on the channel itself would leave the producer stuck for
// good when the consumer goes away: close() does not complete pending sends.
struct object_stream::shared {
  using channel_type =
      asio::experimental::concurrent_channel<void(boost::system::error_code, std::string)>;

  shared(asio::any_io_executor executor, object_stream_options opts)
      : options(opts), channel(std::move(executor), opts.capacity + 2) {}

  // Producer side (pool thread): false when the consumer is gone.
  bool push(boost::system::error_code ec, std::string data, bool counted) {
    std::unique_lock lock(mutex);
    if (counted) {
      space.wait(lock, [this] { return abandoned || unread < options.capacity; });
      if (abandoned)
        return false;
      ++unread;
    } else if (abandoned) {
      return false;
    }
    return channel.try_send(ec, std::move(data));
  }

  // Consumer side: a data chunk was taken out.
  void consumed() {
    std::lock_guard lock(mutex);
    --unread;
    space.notify_one();
  }

  void abandon() {
    {
      std::lock_guard lock(mutex);
      abandoned = true;
      space.notify_all();
    }
    channel.close();
  }

  const object_stream_options options;
  channel_type channel;
  std::mutex mutex;
  std::condition_variable space;
  std::size_t unread = 0;
  bool abandoned = false;
  // Written by the producer before the message that announces them (the channel's mutex
  // orders the write before the consumer's read).
  get_info info;
  s3_error failure;
};

namespace {

// The blocking transfer, on a pool thread.
void transfer(s3_client& client, object_stream::shared& st, const std::string& key,
              const std::optional<s3::byte_range>& range) {
  const auto fail = asio::error::make_error_code(asio::error::connection_aborted);
  std::string pending;
  auto flush = [&st, &pending] {
    std::string chunk;
    chunk.swap(pending);
    return st.push({}, std::move(chunk), true);
  };
  auto sink = [&st, &pending, &flush](std::string_view bytes) {
    pending.append(bytes);
    return pending.size() < st.options.chunk_bytes || flush();
  };
  auto on_head = [&st](const get_info& info) {
    st.info = info;
    return st.push({}, {}, false);
  };
  try {
    s3_client timed = client.with_timeout(st.options.transfer_timeout);
    auto got = timed.get_object(key, range, sink, on_head);
    if (!got) {
      st.failure = got.error();
      st.push(fail, {}, false);
      return;
    }
    if (!pending.empty() && !flush())
      return;
    st.push({}, {}, false);
  } catch (const std::exception& e) {
    st.failure = s3_error{s3_errc::protocol, 0, "exception", e.what()};
    st.push(fail, {}, false);
  }
}

asio::awaitable<void> run_transfer(s3_service& storage, std::shared_ptr<object_stream::shared> st,
                                   std::string key, std::optional<s3::byte_range> range) {
  auto job = [st, key = std::move(key), range](s3_client& client) {
    transfer(client, *st, key, range);
  };
  co_await storage.run(std::move(job));
}

}  // namespace

asio::awaitable<s3_result<std::shared_ptr<object_stream>>> object_stream::open(
    s3_service& storage, std::string key, std::optional<s3::byte_range> range,
    object_stream_options options) {
  auto executor = co_await asio::this_coro::executor;
  auto st = std::make_shared<shared>(executor, options);
  auto stream = std::make_shared<object_stream>(st);
  asio::co_spawn(executor, run_transfer(storage, st, std::move(key), range), asio::detached);
  auto [ec, data] = co_await st->channel.async_receive(asio::as_tuple(asio::use_awaitable));
  if (ec) {
    // Either the producer's failure, or (closed) nothing we caused: report it as transient.
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
