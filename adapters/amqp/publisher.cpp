#include "adapters/amqp/publisher.hpp"

#include "adapters/amqp/reconnect.hpp"
#include "adapters/amqp/confirm_frames.hpp"
#include "adapters/amqp/confirm_tracker.hpp"
#include "adapters/amqp/connection.hpp"
#include "adapters/amqp/mailbox.hpp"
#include "adapters/amqp/properties.hpp"
#include "adapters/config/settings.hpp"
#include "adapters/log/logging.hpp"
#include "adapters/log/repeat_gate.hpp"

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <future>
#include <thread>

namespace kemas::amqp {
namespace {

using clock = std::chrono::steady_clock;
constexpr amqp_channel_t publish_channel = 1;
// Longest sleep of an idle actor: bounds how late heartbeats are sent and checked.
constexpr std::chrono::milliseconds idle_wait{100};
// Frames handled per turn before the mailbox gets another look.
constexpr int frames_per_turn = 256;
// After a nack the channel is replaced, at most this often. RabbitMQ 3.10's quorum queue
// client, on a channel's first publish to a queue, asks the queue's recorded leader first;
// when that node has just died (the new leader is not recorded yet) the channel keeps asking
// the dead node and every later publish on it is nacked until the node returns (measured
// with scripts/cluster.sh: 20 s of nacks after a node crash). A new channel asks again and
// finds the new leader. A nack for other reasons (a full queue under reject-publish) costs
// one channel reopen per interval.
constexpr std::chrono::milliseconds channel_refresh_interval{500};

struct publish_request {
  outgoing_message message;
  std::function<void(publish_result)> done;
  clock::time_point deadline;
};

void run_all(std::vector<confirm_tracker::finished> finished) {
  for (auto& f : finished)
    f.done(std::move(f.result));
}

}  // namespace

class amqp_publisher::actor {
 public:
  actor(const config::amqp_settings& settings, publisher_options options)
      : settings_(settings),
        options_(std::move(options)),
        connection_options_(make_connection_options(settings, options_.name)),
        reconnect_(settings.reconnect_min, settings.reconnect_max),
        thread_([this] { run(); }) {}

  ~actor() { stop(); }

  void submit(outgoing_message message, std::function<void(publish_result)> done) {
    publish_request request{std::move(message), std::move(done),
                            clock::now() + settings_.confirm_timeout};
    if (!mailbox_.push(std::move(request))) {
      request.done({publish_error::shut_down, "the publisher is stopping"});
    }
  }

  bool connected() const noexcept { return connected_.load(); }
  std::uint64_t channels_replaced() const noexcept { return channels_replaced_.load(); }

  void stop() {
    if (!thread_.joinable())
      return;
    stop_deadline_ = clock::now() + settings_.confirm_timeout;
    stopping_.store(true);
    for (auto& request : mailbox_.close()) {
      request.done({publish_error::shut_down, "the publisher is stopping"});
    }
    thread_.join();
  }

 private:
  void run() {
    while (true) {
      const bool stopping = stopping_.load();
      if (stopping && (!conn_ || tracker_.empty() || clock::now() >= stop_deadline_))
        break;
      if (!conn_) {
        if (reconnect_.turn(mailbox_.fd(), idle_wait, [this] { return try_connect(); }))
          continue;
        for (auto& request : mailbox_.take_all()) {
          request.done({publish_error::not_connected,
                        "not connected to RabbitMQ at " + endpoint() + ": " + last_error_});
        }
        continue;
      }
      if (refresh_due()) {
        // New publishes wait in the mailbox until the old channel's confirms are in.
        if (tracker_.empty())
          refresh_channel();
        else
          pump_frames(/*wake_on_mail=*/false);
        run_all(tracker_.expire(clock::now()));
        continue;
      }
      for (auto& request : mailbox_.take_all()) {
        if (conn_)
          publish(request);
        else
          request.done({publish_error::connection_lost, last_error_});
      }
      if (conn_)
        pump_frames(/*wake_on_mail=*/true);
      run_all(tracker_.expire(clock::now()));
    }
    run_all(tracker_.fail_all(publish_error::shut_down, "the publisher stopped before a confirm"));
    connected_.store(false);
    conn_.reset();
  }

  std::string endpoint() const {
    std::string out = connection_options_.host + ":" + std::to_string(connection_options_.port);
    for (const auto& node : connection_options_.more)
      out += "," + node.host + ":" + std::to_string(node.port);
    return out;
  }

  bool try_connect() {
    try {
      auto conn = std::make_unique<connection>(connection_options_);
      conn->open_channel(publish_channel);
      if (options_.declare_on_connect) {
        declare_topology(*conn, publish_channel, *options_.declare_on_connect);
      }
      conn->enable_confirms(publish_channel);
      conn_ = std::move(conn);
      tracker_.reset();
      refresh_wanted_ = false;  // a new connection has a new channel
      connected_.store(true);
      cannot_connect_log_.reset();
      log::info("amqp publisher connected",
                {{"connection", options_.name}, {"broker", endpoint()}});
      return true;
    } catch (const amqp_failure& e) {
      last_error_ = e.what();
      if (const auto held = cannot_connect_log_.pass())
        log::warn("amqp publisher cannot connect", {{"connection", options_.name},
                                                    {"error", last_error_},
                                                    {"attempts_not_logged", *held}});
      return false;
    }
  }

  void drop(const std::string& why) {
    last_error_ = why;
    log::warn("amqp publisher lost its connection",
              {{"connection", options_.name}, {"error", why}});
    connected_.store(false);
    if (conn_)
      conn_->mark_broken();
    conn_.reset();
    run_all(tracker_.fail_all(publish_error::connection_lost,
                              "connection lost before the confirm: " + why));
  }

  void publish(publish_request& request) {
    if (clock::now() >= request.deadline) {
      request.done({publish_error::timeout, "queued past its deadline before it could be sent"});
      return;
    }
    const outgoing_message& m = request.message;
    outgoing_properties properties(m);
    const int status = amqp_basic_publish(conn_->state(), publish_channel, as_bytes(m.exchange),
                                          as_bytes(m.routing_key), m.mandatory ? 1 : 0, 0,
                                          properties.get(), as_bytes(m.body));
    if (status != AMQP_STATUS_OK) {
      const std::string why = std::string("basic.publish: ") + amqp_error_string2(status);
      request.done({publish_error::connection_lost, why});
      drop(why);
      return;
    }
    tracker_.add({m.exchange, m.routing_key, m.message_id}, std::move(request.done),
                 request.deadline);
  }

  void pump_frames(bool wake_on_mail) {
    amqp_connection_state_t state = conn_->state();
    if (!amqp_frames_enqueued(state) && !amqp_data_in_buffer(state)) {
      auto wait = idle_wait;
      if (auto deadline = tracker_.next_deadline()) {
        wait = std::min(
            wait, std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - clock::now()) +
                      std::chrono::milliseconds(1));
      }
      wait_for_activity(conn_->socket_fd(), wake_on_mail ? mailbox_.fd() : -1, wait);
    }
    // Always read (with a zero timeout): this is also where librabbitmq sends heartbeats
    // and notices a silent broker.
    for (int i = 0; i < frames_per_turn && conn_; ++i) {
      amqp_maybe_release_buffers(state);  // decoded frames live in pools until released
      amqp_frame_t frame;
      const timeval zero{0, 0};
      const int status = amqp_simple_wait_frame_noblock(state, &frame, &zero);
      if (status == AMQP_STATUS_TIMEOUT)
        return;
      if (status != AMQP_STATUS_OK) {
        drop(amqp_error_string2(status));
        return;
      }
      handle_frame(frame);
    }
  }

  void handle_frame(const amqp_frame_t& frame) {
    auto confirm = apply_confirm_frame(conn_->state(), frame, tracker_);
    if (confirm.failure) {
      drop(*confirm.failure);
      return;
    }
    if (confirm.handled) {
      for (const auto& f : confirm.finished)
        refresh_wanted_ |= f.result.error == publish_error::nacked;
      run_all(std::move(confirm.finished));
      return;
    }
    const auto closed = take_close(*conn_, frame);
    if (!closed)
      return;
    if (closed->whole_connection) {
      drop(closed->why);
      return;
    }
    run_all(tracker_.fail_all(publish_error::connection_lost, closed->why));
    log::warn("amqp publisher: channel closed; reopening",
              {{"connection", options_.name}, {"error", closed->why}});
    reopen_channel(closed->why);
  }


  void reopen_channel(const std::string& why) {
    try {
      conn_->open_channel(publish_channel);
      conn_->enable_confirms(publish_channel);
      tracker_.reset();
    } catch (const amqp_failure& e) {
      drop(why + "; reopening the channel failed: " + e.what());
    }
  }

  bool refresh_due() const {
    return refresh_wanted_ && conn_ && clock::now() >= last_refresh_ + channel_refresh_interval;
  }

  // Replaces the publish channel after a nack (see channel_refresh_interval); called with no
  // confirm outstanding, so nothing in flight is lost with the old channel.
  void refresh_channel() {
    refresh_wanted_ = false;
    last_refresh_ = clock::now();
    if (const auto held = refresh_log_.pass())
      log::warn("amqp publisher: the broker nacked a publish; replacing the channel",
                {{"connection", options_.name}, {"broker", conn_->endpoint()},
                 {"refreshes_not_logged", *held}});
    conn_->close_channel(publish_channel);
    if (conn_->broken()) {
      drop("closing the channel after a nack failed");
      return;
    }
    reopen_channel("replacing the channel after a nack");
    if (conn_)
      channels_replaced_.fetch_add(1);
  }

  const config::amqp_settings settings_;  // a copy: callers may pass temporaries
  publisher_options options_;
  connection_options connection_options_;
  reconnect_schedule reconnect_;
  log::repeat_gate cannot_connect_log_;
  log::repeat_gate refresh_log_;
  mailbox<publish_request> mailbox_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> connected_{false};
  std::atomic<std::uint64_t> channels_replaced_{0};
  clock::time_point stop_deadline_{};
  // Owned by the actor thread only:
  std::unique_ptr<connection> conn_;
  confirm_tracker tracker_;
  std::string last_error_ = "not connected yet";
  bool refresh_wanted_ = false;  // a nack came: replace the channel (refresh_channel)
  clock::time_point last_refresh_{};
  std::thread thread_;  // last: starts after every member above exists
};

amqp_publisher::amqp_publisher(const config::amqp_settings& settings, publisher_options options)
    : actor_(std::make_unique<actor>(settings, std::move(options))) {}

amqp_publisher::~amqp_publisher() = default;

void amqp_publisher::stop() {
  actor_->stop();
}

bool amqp_publisher::connected() const noexcept {
  return actor_->connected();
}

std::uint64_t amqp_publisher::channels_replaced() const noexcept {
  return actor_->channels_replaced();
}

boost::asio::awaitable<bool> amqp_publisher::ready() const {
  co_return actor_->connected();
}

void amqp_publisher::async_publish(outgoing_message message,
                                   std::function<void(publish_result)> done) {
  actor_->submit(std::move(message), std::move(done));
}

publish_result amqp_publisher::publish_sync(outgoing_message message) {
  auto promise = std::make_shared<std::promise<publish_result>>();
  auto future = promise->get_future();
  actor_->submit(std::move(message),
                 [promise](publish_result result) { promise->set_value(std::move(result)); });
  return future.get();
}

boost::asio::awaitable<publish_result> amqp_publisher::publish(outgoing_message message) {
  namespace asio = boost::asio;
  auto initiate = [this](auto handler, outgoing_message m) {
    using handler_type = decltype(handler);
    // Keeps the awaiting executor alive and resumes the coroutine there, not on our thread.
    struct pending {
      handler_type handler;
      asio::executor_work_guard<asio::associated_executor_t<handler_type>> work;
    };
    auto work = asio::make_work_guard(asio::get_associated_executor(handler));
    auto shared = std::make_shared<pending>(pending{std::move(handler), std::move(work)});
    actor_->submit(std::move(m), [shared](publish_result result) {
      auto executor = shared->work.get_executor();
      asio::dispatch(executor, [shared, r = std::move(result)]() mutable {
        auto h = std::move(shared->handler);
        shared->work.reset();
        std::move(h)(std::move(r));
      });
    });
  };
  co_return co_await asio::async_initiate<const asio::use_awaitable_t<>&, void(publish_result)>(
      initiate, asio::use_awaitable, std::move(message));
}

}  // namespace kemas::amqp
