#pragma once
// The `expire` command: the paid plan of an account is due to end at due_at. Schema:
// schemas/commands/expire.schema.json. Scheduled through the delay queues by the upgrade that
// set the expiry, and published by sweeps; applied by workers/handlers/expire_handler.
//
//   {"user_id": uuid, "due_at": RFC 3339 (UTC, ms)}
// The actor is the system (null): the account is a payload field.

#include <string>
#include <type_traits>

#include "domain/commands/envelope.hpp"
#include "domain/uuid.hpp"

namespace kemas::commands {

struct expire {
  static constexpr command_type type = command_type::expire;

  uuid user_id;
  timestamp due_at{};

  bool operator==(const expire&) const = default;
};

void encode(const expire& command, envelope& into);
payload_result<expire> decode(std::type_identity<expire>, const envelope& from);

// What makes two expire commands the same one: the account and the due time. A command id
// derived from it lets the upgrade's scheduled expire, a sweep's and any re-delayed copy count
// once in processed_commands: "expire <user_id> <due_at RFC 3339>".
std::string identity_of(const expire& command);

}  // namespace kemas::commands
