#pragma once
// The command envelope as JSON (schemas/commands/envelope.schema.json):
//   {"id": uuid, "type": "upload", "version": 1, "issued_at": RFC 3339,
//    "request_id": "...", "actor": {"user_id": uuid|null, "ip": string|null},
//    "payload": {...}}
// decode_envelope says precisely WHY a message is not a valid envelope; the worker puts that
// text into the dead-letter reason. Pure functions, thread-safe.

#include "adapters/amqp/message.hpp"
#include "domain/command.hpp"

#include <boost/system/result.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace kemas::amqp {

enum class envelope_error {
  too_big,     // larger than max_bytes
  not_json,    // syntax error (or nested deeper than max_depth)
  not_object,  // valid JSON but not an object
  missing_field,
  wrong_type,        // a field has the wrong JSON type
  unexpected_field,  // a top-level or actor field the schema does not know
  bad_uuid,          // id / actor.user_id not a UUID
  unknown_type,      // type is not a command type
  unsupported_version,
  bad_timestamp,  // issued_at not RFC 3339
  bad_request_id,
};

struct envelope_problem {
  envelope_error code;
  std::string message;  // e.g. "field 'id': not a UUID: \"abc\""
};

const char* to_string(envelope_error code) noexcept;

struct decode_limits {
  std::size_t max_bytes = 1024 * 1024;  // inline upload bodies (256 KiB, base64) fit easily
  std::size_t max_depth = 32;
};

boost::system::result<domain::command_envelope, envelope_problem> decode_envelope(
    std::string_view text, const decode_limits& limits = {});

// Compact JSON in the field order above. Throws std::invalid_argument when payload_json is
// not a JSON object (a programming error: producers build payloads with a JSON library).
std::string encode_envelope(const domain::command_envelope& envelope);

// The AMQP message for a command, routed directly to its queue: exchange kemas.commands,
// routing key and `type` = the command type, message_id = id, correlation_id = request_id,
// persistent, mandatory. Publish the result to a delay exchange instead to schedule it.
outgoing_message command_message(const domain::command_envelope& envelope);

// Lets boost::system::result<T, envelope_problem>::value() throw (std::runtime_error).
[[noreturn]] void throw_exception_from_error(const envelope_problem& problem,
                                             const boost::source_location& location);

}  // namespace kemas::amqp
