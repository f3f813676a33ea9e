#pragma once
// command_dispatcher: the consumer callback of the `commands` role. Each delivery is decoded
// (domain/commands/envelope_codec.hpp) and run by the handler registered for its type on the
// handler pool — never on the consumer's thread. Then it is settled:
//   malformed message / no handler / handler rejects   -> dead-lettered with a precise reason
//   handler done                                        -> acked
//   handler asks to retry or throws                     -> delayed retry, below
// Delayed retry: the same message (body, message_id, type, correlation_id, reply_to, our own
// headers; persistent, mandatory) is republished with publisher confirms to the delay exchange
// kemas.delay.<bucket> (adapters/amqp/topology.hpp), whose queue hands it back to
// kemas.commands with the command type as routing key when its TTL ends. The copy carries
// x-kemas-attempt = the number of the handler run it will get (the first delivery, without
// the header, is attempt 1) and x-kemas-retry-reason. The original is acked ONLY after the
// broker confirmed the copy; if the copy fails (nack, unroutable, timeout, connection lost),
// the original is requeued at once instead (x-delivery-limit bounds that), or, on the last
// delivery the queue allows, dead-lettered with the reason. Attempt `retry_attempts` that
// still asks to retry is dead-lettered with the handler's last reason.
// Backoff after failed attempt n = 1, 2, 3, ...: 1s, 5s, 30s, 2m, 10m, 1h (the delay buckets
// in order), each capped at max_delay (the largest bucket not above it).
// Group commit: a handler whose group_limit() is above 1 gets the commands of its type that
// wait together in one handle_group() call (see enqueue()); each member is settled on its own
// result exactly as above, after the group's commit.
// Nothing is acked that is not done; nothing is dropped silently; a command may run again
// after a crash or a failed settle (handlers are idempotent by command id). Log lines carry
// the command's request_id.

#include "adapters/amqp/consumer.hpp"
#include "domain/commands/envelope_codec.hpp"
#include "adapters/amqp/command_message.hpp"
#include "workers/handler_registry.hpp"

#include <atomic>
#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace kemas::worker {

class worker_metrics;

// Application headers of a delayed retry.
inline constexpr std::string_view attempt_header = "x-kemas-attempt";
inline constexpr std::string_view retry_reason_header = "x-kemas-retry-reason";

// What to do with a delivery before any handler runs (pure; unit-tested).
struct dispatch_plan {
  std::optional<commands::envelope> command;  // set when `handler` is set
  command_handler* handler = nullptr;
  std::string dead_letter_reason;  // set when `handler` is null
};

dispatch_plan plan_dispatch(const amqp::delivery& message, const handler_registry& registry,
                            const commands::decode_limits& limits = {});

struct retry_policy {
  unsigned max_attempts = 8;                                      // worker.retry_attempts
  std::chrono::milliseconds max_delay{std::chrono::minutes(10)};  // worker.retry_max_delay
  unsigned delivery_limit = 5;  // amqp.delivery_limit: requeues the queue allows
};

// Where a delivery stands: its attempt (x-kemas-attempt, 1 when absent) and how often this
// copy was requeued (x-delivery-count, 0 on its first delivery).
struct delivery_state {
  unsigned attempt = 1;
  std::int64_t delivery_count = 0;
};

// x-kemas-attempt of a delivery: an integer >= 1 (or its decimal text), else 1 (pure).
unsigned attempt_of(const amqp::delivery& message) noexcept;

// What a handler may know of `message`: first only when nothing says it was handed out or
// published before (no redelivered flag, no x-delivery-count, no x-kemas-attempt at all).
delivery_facts facts_of(const amqp::delivery& message) noexcept;

// The delay bucket after handler run `failed_attempt` (1-based) asked to retry (pure).
amqp::delay_bucket retry_bucket(unsigned failed_attempt,
                                std::chrono::milliseconds max_delay) noexcept;

// How to settle after the handler ran (pure; unit-tested).
struct settlement {
  enum class action { ack, delay, requeue, dead_letter };
  action what = action::ack;
  std::string reason;                        // requeue, delay, dead_letter
  std::optional<amqp::delay_bucket> bucket;  // delay: through which delay exchange
  unsigned next_attempt = 0;                 // delay: x-kemas-attempt of the copy
};

settlement settle_after(const handler_result& result, const delivery_state& state,
                        const retry_policy& policy);

// The settlement when the delayed copy of `planned` (action delay) was not confirmed: requeue,
// or dead_letter on the last delivery the queue allows (requeuing it then would let the broker
// dead-letter it without our reason).
settlement settle_after_failed_delay(const settlement& planned, const delivery_state& state,
                                     const retry_policy& policy, std::string_view problem);

// The message to publish for a `delay` settlement (pure): `message` as received, to
// delay_exchange(*planned.bucket) with routing key `type` and the retry headers set; broker
// headers (x-delivery-count, x-death, ...) are left out.
amqp::outgoing_message delayed_copy(const amqp::delivery& message, commands::command_type type,
                                    const settlement& planned);

class command_dispatcher {
 public:
  // Runs a task on the handler pool.
  using poster = std::function<void(std::function<void()>)>;
  // Publishes with confirms and calls `done` once with the outcome, from any thread; `done`
  // must not block (amqp_publisher::async_publish fits). Empty: retries are requeued at once.
  using republisher =
      std::function<void(amqp::outgoing_message, std::function<void(amqp::publish_result)>)>;

  // `registry` and `metrics` (may be null) must outlive the dispatcher, and the dispatcher
  // every `done` it handed to `republish` (stop the publisher before destroying it).
  command_dispatcher(const handler_registry& registry, poster post, republisher republish,
                     retry_policy policy, worker_metrics* metrics = nullptr,
                     commands::decode_limits limits = {});

  // The amqp_consumer callback: returns at once, the work runs on the pool.
  void on_delivery(amqp::delivery message, amqp::delivery_handle handle);

  // Deliveries taken and not settled yet: handlers running, or delayed copies awaiting their
  // confirm (for the drain on shutdown).
  std::size_t running() const noexcept { return running_.load(); }

 private:
  struct context;  // what the settling code logs and counts (command_dispatcher.cpp)
  // A delivery waiting for a handler that takes groups.
  struct waiting_delivery {
    amqp::delivery message;
    amqp::delivery_handle handle;
  };

  void process(const amqp::delivery& message, const amqp::delivery_handle& handle);
  // Group commit: takes whatever waits for `handler` (up to its group_limit) and runs it as
  // one group. Deliveries that arrive while every handler thread is busy wait together and
  // form the next group; at low load a group is one command and nothing waits for company.
  void run_group(command_handler& handler);
  // Logs, counts and settles one command after its handler ran.
  void finish(const amqp::delivery& message, const amqp::delivery_handle& handle,
              const commands::envelope& command, handler_result result,
              std::chrono::steady_clock::duration took);
  void settle(const settlement& next, const amqp::delivery_handle& handle,
              const context& about) const;
  // Publishes the delayed copy; settles `handle` once the broker answered.
  void publish_delayed(const amqp::delivery& message, commands::command_type type,
                       const amqp::delivery_handle& handle, const settlement& planned,
                       const delivery_state& state, context about);

  const handler_registry& registry_;
  poster post_;
  republisher republish_;
  retry_policy policy_;
  worker_metrics* metrics_;
  commands::decode_limits limits_;
  std::atomic<std::size_t> running_{0};
  std::map<std::string, command_handler*, std::less<>> grouping_;  // queue -> grouping handler
  std::mutex group_mutex_;
  std::map<command_handler*, std::deque<waiting_delivery>> waiting_;
};

}  // namespace kemas::worker
