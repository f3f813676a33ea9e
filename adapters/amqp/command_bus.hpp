#pragma once
// ports::command_bus over RabbitMQ: the command's message (command_message.hpp) published
// persistent, mandatory and publisher-confirmed through the api's publisher actor. A refusal
// (nack, unroutable, timeout, connection lost) is logged with the command's ids and answered
// backend_unavailable. Thread-safe; the publisher must outlive the bus.

#include "domain/ports/command_bus.hpp"

namespace kemas::amqp {

class amqp_publisher;
struct outgoing_message;

class amqp_command_bus final : public ports::command_bus {
 public:
  explicit amqp_command_bus(amqp_publisher& publisher) : publisher_(publisher) {}

  ports::async<result<void>> publish(commands::envelope command) override;
  // Through the delay exchange of the bucket command_scheduler.hpp picks for the time left.
  ports::async<result<void>> publish_at(commands::envelope command, timestamp due_at) override;

 private:
  ports::async<result<void>> send(outgoing_message message, const commands::envelope& command);

  amqp_publisher& publisher_;
};

}  // namespace kemas::amqp
