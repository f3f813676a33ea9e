#pragma once
// Payloads of the `upload` and `delete` commands (issue 4), decoded and checked before a
// handler touches S3 or PostgreSQL. A payload that fails here can never succeed: the handler
// rejects the command with the returned reason and the dispatcher dead-letters it.
//
//   upload: {"upload_id": uuid, "file_id": uuid, "name": str, "content_type": str,
//            "size": int, "sha256": 64 lower-hex, "object_key": "u/{owner}/{file_id}",
//            "inline_base64": str (optional; the body itself, standard base64)}
//   delete: {"file_id": uuid}
// The owner is always the envelope's actor.user_id, never a payload field.
//
// Pure functions, thread-safe.

#include "domain/command.hpp"
#include "workers/handlers/payload_fields.hpp"

#include <boost/system/result.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kemas::worker {

struct upload_payload {
  std::string owner_id;  // lower-case uuid text, from actor.user_id
  std::string upload_id;
  std::string file_id;
  std::string name;
  std::string content_type;
  std::uint64_t size = 0;
  std::string sha256;
  std::string object_key;
  std::optional<std::string> inline_body;  // decoded bytes when the body rides in the message
};

struct delete_payload {
  std::string owner_id;
  std::string file_id;
};

boost::system::result<upload_payload, payload_problem> parse_upload_payload(
    const domain::command_envelope& command);
boost::system::result<delete_payload, payload_problem> parse_delete_payload(
    const domain::command_envelope& command);

// Strict RFC 4648 §4 base64 (with '=' padding; no whitespace). nullopt when malformed.
std::optional<std::string> decode_base64(std::string_view text);

// "u/{owner}/{file_id}": the only object key a command may name.
std::string object_key_for(std::string_view owner_id, std::string_view file_id);

}  // namespace kemas::worker
