#include "domain/commands/expire_share.hpp"

#include "domain/commands/payload_reader.hpp"

namespace kemas::commands {

void encode(const expire_share& command, envelope& into) {
  into.payload = {{"share_id", command.share_id.to_string()},
                  {"due_at", format_rfc3339(command.due_at)}};
}

payload_result<expire_share> decode(std::type_identity<expire_share>, const envelope& from) {
  payload_reader read(expire_share::type, from.payload);
  expire_share out{read.id("share_id"), read.time("due_at")};
  if (read.failed())
    return read.problem();
  return out;
}

std::string identity_of(const expire_share& command) {
  return "expire-share " + command.share_id.to_string();
}

}  // namespace kemas::commands
