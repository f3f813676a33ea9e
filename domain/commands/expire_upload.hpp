#pragma once
// The `expire-upload` command: tus upload upload_id is due to end at due_at unless its last
// byte arrived. Schema: schemas/commands/expire-upload.schema.json. Published through the
// delay queues by the api BEFORE it stores the upload (app/services/tus_service), so every
// stored upload has its end on the way; applied by workers/handlers/expire_upload_handler:
// the row goes with its quota reservation, its parts are freed on S3, upload.expired is
// written.
//
//   {"upload_id": uuid, "due_at": RFC 3339 (UTC, ms)}
// The actor is the system (null).

#include <string>
#include <type_traits>

#include "domain/commands/envelope.hpp"
#include "domain/uuid.hpp"

namespace kemas::commands {

struct expire_upload {
  static constexpr command_type type = command_type::expire_upload;

  uuid upload_id;
  timestamp due_at{};

  bool operator==(const expire_upload&) const = default;
};

void encode(const expire_upload& command, envelope& into);
payload_result<expire_upload> decode(std::type_identity<expire_upload>, const envelope& from);

// What makes two copies the same command: "expire-upload <upload_id>".
std::string identity_of(const expire_upload& command);

}  // namespace kemas::commands
