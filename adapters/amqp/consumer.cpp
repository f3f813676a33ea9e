#include "adapters/amqp/consumer.hpp"

#include "adapters/amqp/confirm_frames.hpp"
#include "adapters/amqp/confirm_tracker.hpp"
#include "adapters/amqp/connection.hpp"
#include "adapters/amqp/mailbox.hpp"
#include "adapters/amqp/properties.hpp"
#include "adapters/amqp/reconnect.hpp"
#include "adapters/amqp/settle_mailbox.hpp"
#include "adapters/config/settings.hpp"
#include "adapters/log/logging.hpp"
#include "adapters/log/repeat_gate.hpp"
#include "domain/rfc3339.hpp"

#include <algorithm>
#include <atomic>
#include <map>
#include <thread>

namespace kemas::amqp {
namespace {

using clock = std::chrono::steady_clock;
constexpr amqp_channel_t consume_channel = 1;
constexpr amqp_channel_t dead_letter_channel = 2;
constexpr std::chrono::milliseconds idle_wait{100};
constexpr int deliveries_per_turn = 64;


struct envelope_deleter {
  void operator()(amqp_envelope_t* envelope) const noexcept {
    amqp_destroy_envelope(envelope);
    delete envelope;
  }
};
using owned_envelope = std::unique_ptr<amqp_envelope_t, envelope_deleter>;

}  // namespace

class amqp_consumer::actor {
 public:
  actor(const config::amqp_settings& settings, consumer_options options, callback on_delivery)
      : settings_(settings),
        options_(std::move(options)),
        on_delivery_(std::move(on_delivery)),
        connection_options_(make_connection_options(settings, options_.name)),
        reconnect_(settings.reconnect_min, settings.reconnect_max),
        thread_([this] { run(); }) {}

  ~actor() { stop(std::chrono::milliseconds::zero()); }

  std::size_t stop(std::chrono::milliseconds drain) {
    if (!thread_.joinable())
      return left_unsettled_;
    drain_deadline_ = clock::now() + drain;
    stopping_.store(true);
    box_->wake();
    thread_.join();
    return left_unsettled_;
  }

  bool connected() const noexcept { return connected_.load(); }
  std::size_t in_flight() const noexcept { return in_flight_.load(); }

 private:
  void run() {
    while (true) {
      if (stopping_.load()) {
        if (!cancelled_)
          cancel_consumers();
        if (!conn_ || unsettled_.empty() || clock::now() >= drain_deadline_)
          break;
      }
      if (!conn_) {
        if (stopping_.load())
          break;
        if (reconnect_.turn(box_->fd(), idle_wait, [this] { return try_connect(); }))
          continue;
        box_->take_all();  // settles of a dead connection: the broker redelivers those
        continue;
      }
      handle_mail();
      if (conn_)
        read_deliveries();
      if (conn_)
        finish(dead_letters_.expire(clock::now()));
    }
    left_unsettled_ = unsettled_.size();
    if (left_unsettled_ > 0) {
      log::warn(
          "amqp consumer: deliveries unsettled at the drain deadline; the broker will "
          "redeliver them",
          {{"connection", options_.name}, {"unsettled", left_unsettled_}});
    }
    box_->close();  // handles still out there become no-ops
    disconnect(false);
  }

  bool try_connect() {
    try {
      auto conn = std::make_unique<connection>(connection_options_);
      conn->open_channel(consume_channel);
      if (options_.declare_on_connect) {
        declare_topology(*conn, consume_channel, *options_.declare_on_connect);
      }
      conn->set_prefetch(consume_channel,
                         static_cast<std::uint16_t>(std::min(settings_.prefetch, 65535u)));
      conn->open_channel(dead_letter_channel);
      conn->enable_confirms(dead_letter_channel);
      std::map<std::string, std::string, std::less<>> tags;
      for (const std::string& queue : options_.queues) {
        auto* ok = amqp_basic_consume(conn->state(), consume_channel, as_bytes(queue),
                                      amqp_empty_bytes, 0, /*no_ack=*/0, 0, amqp_empty_table);
        conn->check(amqp_get_rpc_reply(conn->state()), consume_channel, "consume " + queue);
        tags.emplace(std::string(as_string_view(ok->consumer_tag)), queue);
      }
      conn_ = std::move(conn);
      consumer_tags_ = std::move(tags);
      dead_letters_.reset();
      ++generation_;
      cancelled_ = false;
      connected_.store(true);
      cannot_connect_log_.reset();
      log::info("amqp consumer connected", {{"connection", options_.name},
                                            {"broker", conn_->endpoint()},
                                            {"queues", options_.queues.size()}});
      return true;
    } catch (const amqp_failure& e) {
      if (const auto held = cannot_connect_log_.pass())
        log::warn("amqp consumer cannot connect", {{"connection", options_.name},
                                                   {"error", e.what()},
                                                   {"attempts_not_logged", *held}});
      return false;
    }
  }

  // Forgets the connection and everything tied to it; the broker requeues what we held.
  void disconnect(bool broken) {
    ++generation_;  // completions and handles of the old connection become no-ops
    connected_.store(false);
    finish(dead_letters_.fail_all(publish_error::connection_lost, "connection closed"));
    unsettled_.clear();
    in_flight_.store(0);
    consumer_tags_.clear();
    if (conn_ && broken)
      conn_->mark_broken();
    conn_.reset();
  }

  void drop(const std::string& why) {
    log::warn("amqp consumer lost its connection", {{"connection", options_.name}, {"error", why}});
    disconnect(true);
  }

  void cancel_consumers() {
    cancelled_ = true;
    if (!conn_)
      return;
    for (const auto& [tag, queue] : consumer_tags_) {
      amqp_basic_cancel(conn_->state(), consume_channel, as_bytes(tag));
      try {
        conn_->check(amqp_get_rpc_reply(conn_->state()), consume_channel, "cancel " + queue);
      } catch (const amqp_failure& e) {
        drop(e.what());
        return;
      }
    }
    log::info("amqp consumer cancelled its consumers; draining",
              {{"connection", options_.name}, {"in_flight", unsettled_.size()}});
  }

  void read_deliveries() {
    amqp_connection_state_t state = conn_->state();
    if (!amqp_frames_enqueued(state) && !amqp_data_in_buffer(state)) {
      wait_for_activity(conn_->socket_fd(), box_->fd(), idle_wait);
    }
    for (int i = 0; i < deliveries_per_turn && conn_; ++i) {
      amqp_maybe_release_buffers(state);
      auto envelope = std::make_unique<amqp_envelope_t>();
      const timeval zero{0, 0};
      const amqp_rpc_reply_t reply = amqp_consume_message(state, envelope.get(), &zero, 0);
      if (reply.reply_type == AMQP_RESPONSE_NORMAL) {
        on_envelope(owned_envelope(envelope.release()));
        continue;
      }
      if (reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
          reply.library_error == AMQP_STATUS_TIMEOUT) {
        return;
      }
      if (reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
          reply.library_error == AMQP_STATUS_UNEXPECTED_STATE) {
        amqp_frame_t frame;
        const int status = amqp_simple_wait_frame(state, &frame);
        if (status != AMQP_STATUS_OK) {
          drop(amqp_error_string2(status));
          return;
        }
        handle_frame(frame);
        continue;
      }
      drop(reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION
               ? amqp_error_string2(reply.library_error)
               : "unexpected reply while consuming");
      return;
    }
  }

  void on_envelope(owned_envelope envelope) {
    const std::uint64_t tag = envelope->delivery_tag;
    if (cancelled_) {
      // Arrived after basic.cancel: give it straight back.
      nack(tag);
      return;
    }
    const auto queue = consumer_tags_.find(as_string_view(envelope->consumer_tag));
    delivery value =
        to_delivery(*envelope, queue != consumer_tags_.end() ? queue->second : std::string());
    auto handle_state = std::make_shared<delivery_handle::state>();
    handle_state->box = box_;
    handle_state->generation = generation_;
    handle_state->tag = tag;
    unsettled_.emplace(tag, std::move(envelope));
    in_flight_.store(unsettled_.size());
    try {
      on_delivery_(std::move(value), delivery_handle(std::move(handle_state)));
    } catch (const std::exception& e) {
      // The handle (if not kept) requeues the message; the delivery limit ends loops.
      log::error("amqp consumer: delivery callback threw",
                 {{"connection", options_.name}, {"error", e.what()}});
    }
  }

  void handle_mail() {
    for (settle_request& request : box_->take_all()) {
      if (!conn_)
        return;
      if (request.generation != generation_)
        continue;
      auto it = unsettled_.find(request.tag);
      if (it == unsettled_.end())
        continue;
      switch (request.action) {
        case settle_action::ack:
          ack(request.tag);
          break;
        case settle_action::requeue:
          nack(request.tag);
          break;
        case settle_action::dead_letter:
          publish_dead_letter(request.tag, *it->second, request.reason);
          break;
      }
    }
  }

  void ack(std::uint64_t tag) {
    settle_on_broker(tag, amqp_basic_ack(conn_->state(), consume_channel, tag, 0), "basic.ack");
  }

  void nack(std::uint64_t tag) {
    settle_on_broker(tag, amqp_basic_nack(conn_->state(), consume_channel, tag, 0, 1),
                     "basic.nack");
  }

  void settle_on_broker(std::uint64_t tag, int status, const char* what) {
    unsettled_.erase(tag);
    in_flight_.store(unsettled_.size());
    if (status != AMQP_STATUS_OK)
      drop(std::string(what) + ": " + amqp_error_string2(status));
  }

  void publish_dead_letter(std::uint64_t tag, const amqp_envelope_t& envelope,
                           const std::string& reason) {
    const auto queue = consumer_tags_.find(as_string_view(envelope.consumer_tag));
    const header_map extra{
        {std::string(names::reason_header), reason.empty() ? std::string("unspecified") : reason},
        {std::string(names::source_queue_header),
         queue != consumer_tags_.end() ? queue->second : std::string()},
        {std::string(names::dead_lettered_at_header),
         format_rfc3339(std::chrono::time_point_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now()))},
    };
    amended_properties properties(envelope.message.properties, extra);
    const std::string exchange(names::dead_exchange);
    const int status = amqp_basic_publish(conn_->state(), dead_letter_channel, as_bytes(exchange),
                                          envelope.routing_key, /*mandatory=*/1, 0,
                                          properties.get(), envelope.message.body);
    if (status != AMQP_STATUS_OK) {
      drop(std::string("dead-letter publish: ") + amqp_error_string2(status));
      return;
    }
    const std::uint64_t generation = generation_;
    dead_letters_.add(
        {exchange, std::string(as_string_view(envelope.routing_key)),
         std::string(message_id_of(envelope.message.properties))},
        [this, generation, tag, reason](publish_result result) {
          if (generation != generation_ || !conn_)
            return;
          if (result.ok()) {
            ack(tag);
          } else {
            log::error("amqp consumer: dead-lettering failed; requeued the message instead",
                       {{"connection", options_.name},
                        {"error", to_string(result.error)},
                        {"detail", result.detail},
                        {"reason", reason}});
            nack(tag);
          }
        },
        clock::now() + settings_.confirm_timeout);
  }

  void finish(std::vector<confirm_tracker::finished> finished) {
    for (auto& f : finished)
      f.done(std::move(f.result));
  }

  void handle_frame(const amqp_frame_t& frame) {
    auto confirm = apply_confirm_frame(conn_->state(), frame, dead_letters_);
    if (confirm.failure) {
      drop(*confirm.failure);
      return;
    }
    if (confirm.handled) {
      finish(std::move(confirm.finished));
      return;
    }
    if (const auto closed = take_close(*conn_, frame)) {
      drop(closed->why);  // either way the consumer starts over, re-declaring
      return;
    }
    if (frame.frame_type == AMQP_FRAME_METHOD && frame.payload.method.id == AMQP_BASIC_CANCEL_METHOD) {
      // The broker cancelled a consumer (queue deleted?): start over, re-declaring.
      drop("the broker cancelled a consumer");
    }
  }

  const config::amqp_settings settings_;  // a copy: callers may pass temporaries
  consumer_options options_;
  callback on_delivery_;
  connection_options connection_options_;
  reconnect_schedule reconnect_;
  log::repeat_gate cannot_connect_log_;
  std::shared_ptr<settle_mailbox> box_ = std::make_shared<settle_mailbox>();
  std::atomic<bool> stopping_{false};
  std::atomic<bool> connected_{false};
  std::atomic<std::size_t> in_flight_{0};
  clock::time_point drain_deadline_{};
  std::size_t left_unsettled_ = 0;
  // Owned by the actor thread only:
  std::unique_ptr<connection> conn_;
  std::uint64_t generation_ = 0;
  bool cancelled_ = false;
  std::map<std::string, std::string, std::less<>> consumer_tags_;  // consumer tag -> queue
  std::map<std::uint64_t, owned_envelope> unsettled_;              // delivery tag -> message
  confirm_tracker dead_letters_;
  std::thread thread_;  // last: starts after every member above exists
};

amqp_consumer::amqp_consumer(const config::amqp_settings& settings, consumer_options options,
                             callback on_delivery)
    : actor_(std::make_unique<actor>(settings, std::move(options), std::move(on_delivery))) {}

amqp_consumer::~amqp_consumer() = default;

std::size_t amqp_consumer::stop(std::chrono::milliseconds drain) {
  return actor_->stop(drain);
}

bool amqp_consumer::connected() const noexcept {
  return actor_->connected();
}

std::size_t amqp_consumer::in_flight() const noexcept {
  return actor_->in_flight();
}

}  // namespace kemas::amqp
