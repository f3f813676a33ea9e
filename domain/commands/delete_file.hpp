#pragma once
// The `delete` command: remove one of the actor's files. Schema:
// schemas/commands/delete.schema.json. From DELETE /files/{id} (app/services/delete_service);
// applied by workers/handlers/delete_handler.
//
//   {"file_id": uuid}
// The owner is always the envelope's actor.user_id, never a payload field.

#include <type_traits>

#include "domain/commands/envelope.hpp"
#include "domain/uuid.hpp"

namespace kemas::commands {

struct delete_file {
  static constexpr command_type type = command_type::delete_file;

  uuid owner;  // actor.user_id
  uuid file_id;

  bool operator==(const delete_file&) const = default;
};

// Writes the payload and actor.user_id = owner.
void encode(const delete_file& command, envelope& into);
payload_result<delete_file> decode(std::type_identity<delete_file>, const envelope& from);

}  // namespace kemas::commands
