#pragma once
// command_bus: how the api hands a command to the workers (DESIGN.md "Commands and events").
// Implemented over RabbitMQ by adapters/amqp (amqp_command_bus: persistent, mandatory,
// publisher-confirmed) and in memory for unit tests.
//
// Success means the broker has stored the command. backend_unavailable means it did not
// confirm: the command may still arrive (a confirm timeout does not prove the opposite), so
// the caller must treat it as "maybe sent" (commands are idempotent by id).

#include "domain/commands/envelope.hpp"
#include "domain/ports/async.hpp"
#include "domain/result.hpp"
#include "domain/rfc3339.hpp"

namespace kemas::ports {

class command_bus {
 public:
  virtual ~command_bus() = default;
  virtual async<result<void>> publish(commands::envelope command) = 0;
  // The same for a command meant for `due_at` (a share link's cleanup): it arrives no earlier
  // than due_at minus the broker's TTL jitter, and may arrive early for long delays, so its
  // handler re-delays it for the time still left (ports::command_scheduler's delay queues).
  virtual async<result<void>> publish_at(commands::envelope command, timestamp due_at) = 0;
};

}  // namespace kemas::ports
