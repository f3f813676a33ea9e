#include "domain/commands/expire.hpp"

#include "domain/commands/payload_reader.hpp"

namespace kemas::commands {

void encode(const expire& command, envelope& into) {
  into.payload = {{"user_id", command.user_id.to_string()},
                  {"due_at", format_rfc3339(command.due_at)}};
}

payload_result<expire> decode(std::type_identity<expire>, const envelope& from) {
  payload_reader read(expire::type, from.payload);
  expire out{read.id("user_id"), read.time("due_at")};
  if (read.failed())
    return read.problem();
  return out;
}

std::string identity_of(const expire& command) {
  return "expire " + command.user_id.to_string() + " " + format_rfc3339(command.due_at);
}

}  // namespace kemas::commands
