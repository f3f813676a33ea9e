#pragma once
// amqp_publisher: publishes with publisher confirms from any thread or coroutine.
//
// Actor: one dedicated thread owns the librabbitmq connection and one confirm-mode channel;
// callers only put requests into its mailbox. A publish completes when the broker acked it —
// and never reports success otherwise: a nack, a basic.return (mandatory and unroutable), no
// confirm within amqp_settings.confirm_timeout, a lost connection or channel, or a stop all
// complete with an error value (publish_result). "timeout" and "connection_lost" mean the
// message may or may not be stored: a command id makes a retry safe.
//
// Connection: connects at construction (on the actor thread) and reconnects with backoff
// (reconnect_min..reconnect_max) after a loss. A publish that arrives while a connection
// attempt runs waits for it; one that arrives between attempts fails at once with
// not_connected, so callers (the API's request handlers) answer 503 quickly.
// Optionally declares a topology on every (re)connect. After a nack the channel is replaced
// (at most twice a second, once the confirms in flight are in; publishes wait meanwhile).
//
// Lifetime: destroy (or stop()) the publisher BEFORE the io_context whose coroutines await it;
// stop() completes everything still pending with an error first.

#include "adapters/amqp/message.hpp"
#include "adapters/amqp/topology.hpp"
#include "domain/non_copyable.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace kemas::config {
struct amqp_settings;
}

namespace kemas::amqp {

struct publisher_options {
  std::string name = "kemas publisher";        // connection_name in the management UI
  std::optional<topology> declare_on_connect;  // e.g. kemas_topology(settings.delivery_limit)
};

class amqp_publisher : kemas::non_copyable {
 public:
  amqp_publisher(const config::amqp_settings& settings, publisher_options options = {});
  ~amqp_publisher();

  // Completes on the awaiting coroutine's executor. Never throws for broker problems. Not
  // cancellable, but bounded: the confirm deadline (confirm_timeout) starts at this call, so
  // it completes within about confirm_timeout (or one connection attempt, if longer).
  boost::asio::awaitable<publish_result> publish(outgoing_message message);

  // Blocking form for plain threads (worker handler threads). Must not be called on an
  // io_context thread, nor from an async_publish callback (that would deadlock the actor).
  publish_result publish_sync(outgoing_message message);

  // Callback form: `done` runs once, on the publisher's thread (keep it short, don't block).
  void async_publish(outgoing_message message, std::function<void(publish_result)> done);

  // Connected with an open confirm channel, as far as the actor knows (a dead peer is noticed
  // through heartbeats or the socket). Answers at once; for /readyz.
  boost::asio::awaitable<bool> ready() const;
  bool connected() const noexcept;
  // How often the channel was replaced after a nack (see publisher.cpp: a RabbitMQ 3.10
  // quorum queue can keep nacking a channel that first published while a leader was dying).
  std::uint64_t channels_replaced() const noexcept;

  // Refuses new publishes, waits up to confirm_timeout for outstanding confirms, fails the
  // rest with shut_down, closes the connection and joins the thread. Idempotent.
  void stop();

 private:
  class actor;
  std::unique_ptr<actor> actor_;
};

}  // namespace kemas::amqp
