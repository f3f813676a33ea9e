#include "domain/commands/delete_file.hpp"

#include "domain/commands/payload_reader.hpp"

namespace kemas::commands {

void encode(const delete_file& command, envelope& into) {
  into.actor.user_id = command.owner.to_string();
  into.payload = {{"file_id", command.file_id.to_string()}};
}

payload_result<delete_file> decode(std::type_identity<delete_file>, const envelope& from) {
  auto owner = actor_user(from, "the owner");
  if (!owner)
    return owner.error();
  payload_reader read(delete_file::type, from.payload);
  const uuid file_id = read.id("file_id");
  if (read.failed())
    return read.problem();
  return delete_file{*owner, file_id};
}

}  // namespace kemas::commands
