#pragma once
// outbox_relay: publishes the transactional outbox (adapters/postgres/outbox.hpp) to the topic
// exchange kemas.events. Every commands worker runs one; any number may run at once.
//
// Loop (on the relay's own thread): in ONE transaction, lock up to `batch_size` unpublished
// rows in id order with FOR UPDATE SKIP LOCKED (so concurrent relays never take the same row
// at the same time), publish each with publisher confirms, stamp published_at on the
// confirmed ones, commit (adapters/postgres/outbox_reader.hpp). Rows the broker did not
// confirm (nack, unroutable, timeout, connection lost) stay unpublished and are retried.
//   - a full batch is followed at once by the next one (a backlog drains at full speed);
//   - a short or empty batch: wait `idle_poll` (200 ms) before polling again — the events'
//     latency bound, and the load an idle relay puts on PostgreSQL (5 small queries/s). A
//     constant, not a setting: conf/kemas.toml has no relay section yet;
//   - a failure (PostgreSQL or the broker unreachable, a publish not confirmed): wait with
//     backoff (retry_min doubling to retry_max), logged as a warning.
// Delivery is at least once (a crash between the broker's confirm and the commit publishes
// those rows again); consumers dedupe by the event id, which is also the message_id.
//
// Message: exchange kemas.events, routing key and `type` = the event type ("auth.login"),
// message_id = event id, correlation_id = request_id, persistent, application/json,
// mandatory (an event no queue takes is not confirmed, so it stays in the outbox). A row
// whose JSON has no string id/type is published anyway with routing key "outbox.invalid"
// and message_id "outbox-row-<id>", so it reaches the audit queue's dead-letter path with a
// reason instead of blocking the outbox forever.
//
// Connections: its own pg_pool (one session) and its own amqp_publisher (which declares the
// kemas topology on each connect). Neither unreachable server stops the worker.
// Threading: construct and stop from one thread; stop() is idempotent and joins the relay's
// thread after the batch in flight finished (bounded by confirm_timeout and the statement
// timeout), then closes its connections. The destructor calls stop().

#include "adapters/amqp/message.hpp"
#include "adapters/postgres/outbox_reader.hpp"
#include "domain/non_copyable.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace kemas::config {
struct settings;
}

namespace kemas::worker {

struct relay_options {
  std::size_t batch_size = 100;
  std::chrono::milliseconds idle_poll{200};
  std::chrono::milliseconds retry_min{200};
  std::chrono::milliseconds retry_max{5'000};
  std::string name = "kemas-worker relay";  // connection names (pg application_name, AMQP)
};

// The AMQP message for one outbox row (pure).
amqp::outgoing_message outbox_message(const postgres::outbox_row& row);

class outbox_relay : kemas::non_copyable {
 public:
  // `settings` is read during construction only. Starts the thread; connects lazily.
  explicit outbox_relay(const config::settings& settings, relay_options options = {});
  ~outbox_relay();

  void stop();

  // Rows stamped published by this relay so far.
  std::uint64_t published() const noexcept;

 private:
  class impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace kemas::worker
