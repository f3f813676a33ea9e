#include "domain/commands/expire_upload.hpp"

#include "domain/commands/payload_reader.hpp"

namespace kemas::commands {

void encode(const expire_upload& command, envelope& into) {
  into.payload = {{"upload_id", command.upload_id.to_string()},
                  {"due_at", format_rfc3339(command.due_at)}};
}

payload_result<expire_upload> decode(std::type_identity<expire_upload>, const envelope& from) {
  payload_reader read(expire_upload::type, from.payload);
  expire_upload out{read.id("upload_id"), read.time("due_at")};
  if (read.failed())
    return read.problem();
  return out;
}

std::string identity_of(const expire_upload& command) {
  return "expire-upload " + command.upload_id.to_string();
}

}  // namespace kemas::commands
