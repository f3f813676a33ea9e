#pragma once
// The `upload` command: a body stored (or carried inline) for a new file of the actor's.
// Schema: schemas/commands/upload.schema.json. From POST /files/upload (app/services/
// upload_service); applied by workers/handlers/upload_handler.
//
//   {"upload_id": uuid, "file_id": uuid, "name": str, "content_type": str, "size": int,
//    "sha256": 64 lower-hex, "object_key": "u/{owner}/{file_id}",
//    "inline_base64": str (optional: the body itself, standard base64 with padding)}
// The owner is always the envelope's actor.user_id, never a payload field.

#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>

#include "domain/commands/envelope.hpp"
#include "domain/uuid.hpp"

namespace kemas::commands {

struct upload {
  static constexpr command_type type = command_type::upload;

  uuid owner;  // actor.user_id
  uuid upload_id;
  uuid file_id;
  std::string name;          // a valid file name (domain/file_name.hpp)
  std::string content_type;  // 1..255 characters
  std::uint64_t size = 0;
  std::string sha256;                      // 64 lower-case hex digits
  std::string object_key;                  // model::object_key_for(owner, file_id), nothing else
  std::optional<std::string> inline_body;  // the bytes, when they ride in the message

  bool operator==(const upload&) const = default;
};

// Writes the payload and actor.user_id = owner.
void encode(const upload& command, envelope& into);
payload_result<upload> decode(std::type_identity<upload>, const envelope& from);

}  // namespace kemas::commands
