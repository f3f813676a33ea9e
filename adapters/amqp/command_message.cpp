#include "adapters/amqp/command_message.hpp"

#include "adapters/amqp/topology.hpp"
#include "domain/commands/envelope_codec.hpp"

namespace kemas::amqp {
namespace {

outgoing_message headed_for(const commands::envelope& command) {
  outgoing_message message;
  message.exchange = std::string(names::commands_exchange);
  message.routing_key = command_routing_key(command.type);
  message.message_id = command.id;
  message.type = std::string(commands::to_string(command.type));
  message.correlation_id = command.request_id;
  message.persistent = true;
  message.mandatory = true;
  return message;
}

}  // namespace

outgoing_message command_message(const commands::envelope& command) {
  outgoing_message message = headed_for(command);
  message.body = commands::encode_envelope(command);
  return message;
}

outgoing_message command_message(commands::envelope&& command) {
  outgoing_message message = headed_for(command);
  message.body = commands::encode_envelope(std::move(command));
  return message;
}

}  // namespace kemas::amqp
