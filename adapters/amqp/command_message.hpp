#pragma once
// A command as an AMQP message (DESIGN.md "Commands and events"): the envelope's JSON
// (domain/commands/envelope_codec.hpp) routed directly to its queue — exchange
// kemas.commands, routing key and `type` = the command type, message_id = id,
// correlation_id = request_id, persistent, mandatory. Publish it to a delay exchange
// instead to schedule it. Pure, thread-safe.

#include "adapters/amqp/message.hpp"
#include "domain/commands/envelope.hpp"

namespace kemas::amqp {

outgoing_message command_message(const commands::envelope& command);
// Moves the payload into the body (an inline upload body is not copied).
outgoing_message command_message(commands::envelope&& command);

}  // namespace kemas::amqp
