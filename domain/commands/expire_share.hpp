#pragma once
// The `expire-share` command: share link share_id is due to stop at due_at, and its row goes.
// Schema: schemas/commands/expire-share.schema.json. Published through the delay queues by the
// api BEFORE it stores the link (app/services/share_service), so every stored link has its
// cleanup on the way; applied by workers/handlers/expire_share_handler.
//
//   {"share_id": uuid, "due_at": RFC 3339 (UTC, ms)}
// The actor is the system (null). The link stops working at due_at whether or not this has
// run (the public route checks the time): this command removes the row and records the end.

#include <string>
#include <type_traits>

#include "domain/commands/envelope.hpp"
#include "domain/uuid.hpp"

namespace kemas::commands {

struct expire_share {
  static constexpr command_type type = command_type::expire_share;

  uuid share_id;
  timestamp due_at{};

  bool operator==(const expire_share&) const = default;
};

void encode(const expire_share& command, envelope& into);
payload_result<expire_share> decode(std::type_identity<expire_share>, const envelope& from);

// What makes two copies the same command: "expire-share <share_id>" (one expiry per link).
std::string identity_of(const expire_share& command);

}  // namespace kemas::commands
