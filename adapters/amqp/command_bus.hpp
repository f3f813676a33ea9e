#pragma once
// ports::command_bus over RabbitMQ: the command's message (command_message.hpp) published
// persistent, mandatory and publisher-confirmed through the api's publisher actor. A refusal
// (nack, unroutable, timeout, connection lost) is logged with the command's ids and answered
// backend_unavailable. Thread-safe; the publisher must outlive the bus.

#include "domain/ports/command_bus.hpp"

namespace kemas::amqp {

class amqp_publisher;

class amqp_command_bus final : public ports::command_bus {
 public:
  explicit amqp_command_bus(amqp_publisher& publisher) : publisher_(publisher) {}

  ports::async<result<void>> publish(commands::envelope command) override;

 private:
  amqp_publisher& publisher_;
};

}  // namespace kemas::amqp
