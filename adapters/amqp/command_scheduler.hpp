#pragma once
// ports::command_scheduler over RabbitMQ's delay queues (adapters/amqp/topology.hpp): a
// command due in the future is published to the delay exchange of the largest bucket not
// longer than the time left (kemas.delay.1s ... kemas.delay.1h; the smallest when less than a
// second is left); the bucket's queue dead-letters it into kemas.commands with its routing
// key (= the command type) when the queue's TTL ends. Per-queue TTL keeps each bucket
// first-in first-out with equal waits, so a 1-hour command never holds back a 3-second one.
// Due now or in the past: published straight to kemas.commands.
//
// Every publish is persistent, mandatory and publisher-confirmed. Threading: blocking calls
// for plain threads, never an Asio I/O thread nor a publisher callback; thread-safe.

#include "adapters/amqp/message.hpp"
#include "domain/ports/command_scheduler.hpp"

#include <cstddef>
#include <memory>

namespace kemas::amqp {

class amqp_publisher;

// Publishes through an amqp_publisher (which must declare the kemas topology on connect, so
// the delay exchanges exist). Keeps at most `window` publishes unconfirmed: the publisher's
// confirm deadline starts at the call, so a batch of 100,000 must not be queued at once.
class amqp_command_scheduler final : public ports::command_scheduler {
 public:
  explicit amqp_command_scheduler(std::shared_ptr<amqp_publisher> publisher,
                                  std::size_t window = 500);

  ports::publish_outcome schedule(const commands::envelope& command, timestamp due_at) override;
  ports::batch_result schedule_all(std::span<const ports::scheduled_command> batch) override;

 private:
  std::shared_ptr<amqp_publisher> publisher_;
  std::size_t window_;
};

// The AMQP message that delivers `command` at `due_at`, seen from `now` (pure): the command
// message of command_message.hpp, sent to the delay bucket's exchange when due_at is later
// than now, else to kemas.commands.
outgoing_message scheduled_message(const commands::envelope& command, timestamp due_at,
                                   timestamp now);

// "timeout: no confirm within ..." for logs and retry reasons.
std::string describe(const publish_result& outcome);

}  // namespace kemas::amqp
