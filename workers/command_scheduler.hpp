#pragma once
// command_scheduler: the port through which handlers and the scheduler role publish commands,
// now or for a later time (issue 5 "Queue-triggered expiry").
//
// Delivery through the delay queues (adapters/amqp/topology.hpp): a command due in the future
// is published to the delay exchange of the largest bucket not longer than the time left
// (kemas.delay.1s ... kemas.delay.1h; the smallest when less than a second is left); the
// bucket's queue dead-letters it into kemas.commands with its routing key (= the command type)
// when the queue's TTL ends. Per-queue TTL keeps each bucket first-in first-out with equal
// waits, so a 1-hour command never holds back a 3-second one. The command arrives no EARLIER
// than its due time minus the broker's TTL jitter (milliseconds), and often early for long
// delays: the receiver re-delays it for the time still left (expire_handler does). Due now or
// in the past: published straight to kemas.commands.
//
// Every publish is persistent, mandatory and publisher-confirmed: success means the broker
// stored it. A failed publish may or may not have been stored; commands are idempotent by id,
// so publishing again is safe.
//
// Threading: blocking calls for plain threads (worker handler threads, the scheduler role's
// thread), never an Asio I/O thread nor a publisher callback. Implementations are shared by
// every handler thread: thread-safe.

#include "adapters/amqp/message.hpp"
#include "domain/command.hpp"

#include <chrono>
#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace kemas::amqp {
class amqp_publisher;
}

namespace kemas::worker {

struct scheduled_command {
  domain::command_envelope command;
  domain::timestamp due_at{};
};

struct batch_result {
  std::size_t published = 0;  // confirmed by the broker
  std::size_t failed = 0;
  std::string first_problem;  // "expire <id>: timeout: ..." for the log / retry reason

  bool ok() const noexcept { return failed == 0; }
};

class command_scheduler {
 public:
  virtual ~command_scheduler() = default;

  // Publishes `command` to arrive when `due_at` has come (now when it has passed) and waits
  // for the broker's confirm.
  virtual amqp::publish_result schedule(const domain::command_envelope& command,
                                        domain::timestamp due_at) = 0;

  // Publishes all of `commands` pipelined (several unconfirmed at a time) and returns once
  // every one is confirmed or failed. Order of arrival is not guaranteed.
  virtual batch_result schedule_all(std::span<const scheduled_command> commands) = 0;
};

// Publishes through an amqp_publisher (which must declare the kemas topology on connect, so
// the delay exchanges exist). Keeps at most `window` publishes unconfirmed: the publisher's
// confirm deadline starts at the call, so a batch of 100,000 must not be queued at once.
class amqp_command_scheduler final : public command_scheduler {
 public:
  explicit amqp_command_scheduler(std::shared_ptr<amqp::amqp_publisher> publisher,
                                  std::size_t window = 500);

  amqp::publish_result schedule(const domain::command_envelope& command,
                                domain::timestamp due_at) override;
  batch_result schedule_all(std::span<const scheduled_command> commands) override;

 private:
  std::shared_ptr<amqp::amqp_publisher> publisher_;
  std::size_t window_;
};

// The AMQP message that delivers `command` at `due_at`, seen from `now` (pure): the command
// message of adapters/amqp/envelope_codec.hpp, sent to the delay bucket's exchange when
// due_at is later than now, else to kemas.commands.
amqp::outgoing_message scheduled_message(const domain::command_envelope& command,
                                         domain::timestamp due_at, domain::timestamp now);

// A command id derived from `name` (pure): the same name gives the same id, so commands
// that several producers may issue for the same thing (the expire of one account at one due
// time, the sweep of one slot) collapse into one in processed_commands. A UUID of version 8
// (RFC 9562) built from SHA-256 of the name; lower-case text.
std::string derived_command_id(std::string_view name);

}  // namespace kemas::worker
