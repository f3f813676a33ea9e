#pragma once
// command_dispatcher: the consumer callback of the `commands` role. Each delivery is decoded
// (adapters/amqp/envelope_codec.hpp) and run by the handler registered for its type on the
// handler pool — never on the consumer's thread. Then it is settled:
//   malformed message / no handler / handler rejects   -> dead-lettered with a precise reason
//   handler asks to retry or throws                     -> requeued, except on the last
//                                                          delivery the queue allows: then
//                                                          dead-lettered with the reason
//   handler done                                        -> acked
// Nothing is acked that is not done; nothing is dropped silently. Log lines carry the
// command's request_id.

#include "adapters/amqp/consumer.hpp"
#include "adapters/amqp/envelope_codec.hpp"
#include "workers/handler_registry.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace kemas::worker {

// What to do with a delivery before any handler runs (pure; unit-tested).
struct dispatch_plan {
  std::optional<domain::command_envelope> command;  // set when `handler` is set
  command_handler* handler = nullptr;
  std::string dead_letter_reason;  // set when `handler` is null
};

dispatch_plan plan_dispatch(const amqp::delivery& message, const handler_registry& registry,
                            const amqp::decode_limits& limits = {});

// How to settle after the handler ran (pure; unit-tested). `delivery_count` is the
// x-delivery-count of the delivery (0 on the first); `delivery_limit` the queue's limit.
struct settlement {
  enum class action { ack, requeue, dead_letter };
  action what = action::ack;
  std::string reason;
};

settlement settle_after(const handler_result& result, std::int64_t delivery_count,
                        unsigned delivery_limit);

class command_dispatcher {
 public:
  // Runs a task on the handler pool.
  using poster = std::function<void(std::function<void()>)>;

  command_dispatcher(const handler_registry& registry, poster post, unsigned delivery_limit,
                     amqp::decode_limits limits = {});

  // The amqp_consumer callback: returns at once, the work runs on the pool.
  void on_delivery(amqp::delivery message, amqp::delivery_handle handle);

  // Tasks posted and not finished yet (for the drain on shutdown).
  std::size_t running() const noexcept { return running_.load(); }

 private:
  void process(const amqp::delivery& message, const amqp::delivery_handle& handle);

  const handler_registry& registry_;
  poster post_;
  unsigned delivery_limit_;
  amqp::decode_limits limits_;
  std::atomic<std::size_t> running_{0};
};

}  // namespace kemas::worker
