#pragma once
// command_scheduler: how handlers and the scheduler role publish commands, now or for a later
// time (issue 5 "Queue-triggered expiry"). Implemented over RabbitMQ's delay queues by
// adapters/amqp/command_scheduler.hpp (which states the delivery guarantees), and in memory
// for unit tests.
//
// Every publish is persistent and confirmed by the broker: ok means it is stored. A failed
// publish may or may not have been stored; commands are idempotent by id, so publishing again
// is safe. A command due in the future arrives no earlier than its due time minus the
// broker's TTL jitter (milliseconds), and may arrive early for long delays: the receiver
// re-delays it for the time still left.
//
// Threading: blocking calls for plain threads (handler threads, the scheduler role's thread),
// never an Asio I/O thread. Implementations are shared by every handler thread: thread-safe.

#include <cstddef>
#include <span>
#include <string>

#include "domain/commands/envelope.hpp"

namespace kemas::ports {

struct publish_outcome {
  bool ok = true;
  std::string problem;  // not ok: "timeout: no confirm within 5000 ms", for logs and reasons
};

struct scheduled_command {
  commands::envelope command;
  timestamp due_at{};
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
  virtual publish_outcome schedule(const commands::envelope& command, timestamp due_at) = 0;

  // Publishes all of `batch` pipelined (several unconfirmed at a time) and returns once
  // every one is confirmed or failed. Order of arrival is not guaranteed.
  virtual batch_result schedule_all(std::span<const scheduled_command> batch) = 0;
};

}  // namespace kemas::ports
