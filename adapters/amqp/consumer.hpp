#pragma once
// amqp_consumer: consumes queues with manual acknowledgements and a prefetch window.
//
// Actor: one dedicated thread owns its own connection with two channels — one consuming
// (basic.qos prefetch = amqp_settings.prefetch per queue), one in confirm mode for
// dead-lettering. Its loop alternates reading deliveries and draining its mailbox.
//
// Each delivery goes to the callback ON THE CONSUMER THREAD: the callback must return quickly
// (hand the work to a pool) and settle the message later through the delivery_handle, from
// any thread. Settling is queued to the actor and executed on its thread:
//   ack()          done — the broker forgets the message
//   requeue()      not done, try again (nack requeue=true; quorum queues count it against
//                  x-delivery-limit, after which the broker dead-letters it)
//   dead_letter(r) poison: republished to `kemas.dead` with the original body and properties
//                  plus headers x-kemas-reason=r, x-kemas-source-queue, x-kemas-dead-lettered-at,
//                  and the original is acked only after the broker CONFIRMED that copy (if the
//                  copy is nacked/returned/unconfirmed the original is requeued instead), so a
//                  reason is never lost and nothing is acked that is not done.
// A handle settles once; later calls are ignored. A handle whose last copy is destroyed
// unsettled requeues its message. Handles from a connection that has since died are no-ops
// (the broker redelivers those messages). Delivery is therefore at-least-once.
//
// Reconnects with backoff (reconnect_min..reconnect_max) and re-declares the optional topology
// and re-subscribes on every connect. Starts consuming from the constructor.

#include "adapters/amqp/message.hpp"
#include "adapters/amqp/topology.hpp"
#include "domain/non_copyable.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kemas::config {
struct amqp_settings;
}

namespace kemas::amqp {

class delivery_handle {
 public:
  delivery_handle() = default;  // settles nothing

  void ack() const;
  void requeue() const;
  void dead_letter(std::string reason) const;
  // True once one of the three was called on any copy.
  bool settled() const noexcept;

  struct state;  // defined in consumer.cpp

 private:
  friend class amqp_consumer;
  explicit delivery_handle(std::shared_ptr<state> s) : state_(std::move(s)) {}
  std::shared_ptr<state> state_;
};

struct consumer_options {
  std::string name = "kemas consumer";  // connection_name in the management UI
  std::vector<std::string> queues;      // consumed with one consumer each
  std::optional<topology> declare_on_connect;
};

class amqp_consumer : kemas::non_copyable {
 public:
  using callback = std::function<void(delivery, delivery_handle)>;

  amqp_consumer(const config::amqp_settings& settings, consumer_options options,
                callback on_delivery);
  // stop(0): whatever is still unsettled goes back to the broker.
  ~amqp_consumer();

  // Cancels the consumers (basic.cancel; deliveries already on the way are requeued without
  // reaching the callback), keeps executing settles of handed-out deliveries until none is
  // left or `drain` passed, then closes the connection (the broker requeues the rest) and
  // joins the thread. Returns how many deliveries were left unsettled. Idempotent. Never call
  // it from the delivery callback (it joins the thread that runs the callback).
  std::size_t stop(std::chrono::milliseconds drain);

  bool connected() const noexcept;
  // Deliveries handed to the callback and not yet settled (including dead-letter copies
  // awaiting their confirm).
  std::size_t in_flight() const noexcept;

 private:
  class actor;
  std::unique_ptr<actor> actor_;
};

}  // namespace kemas::amqp
