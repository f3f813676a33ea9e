#include "domain/commands/expire.hpp"

#include "domain/commands/payload_reader.hpp"

namespace kemas::commands {

void encode(const expire& command, envelope& into) {
  into.payload = {{"user_id", command.user_id.to_string()},
                  {"due_at", format_rfc3339(command.due_at)}};
}

payload_result<expire> decode(std::type_identity<expire>, const envelope& from) {
  const payload_reader read(expire::type, from.payload);
  auto user_id = read.id("user_id");
  if (!user_id)
    return user_id.error();
  auto due_at = read.time("due_at");
  if (!due_at)
    return due_at.error();
  return expire{*user_id, *due_at};
}

std::string identity_of(const expire& command) {
  return "expire " + command.user_id.to_string() + " " + format_rfc3339(command.due_at);
}

}  // namespace kemas::commands
