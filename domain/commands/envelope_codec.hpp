#pragma once
// The command envelope as JSON (schemas/commands/envelope.schema.json):
//   {"id": uuid, "type": "upload", "version": 1, "issued_at": RFC 3339,
//    "request_id": "...", "actor": {"user_id": uuid|null, "ip": string|null},
//    "payload": {...}}
// decode_envelope says precisely WHY a message is not a valid envelope; the worker puts that
// text into the dead-letter reason. The payload is checked only to be an object here: its
// type's codec (decode_as<T>, envelope.hpp) reads it. Pure functions, thread-safe.

#include "domain/commands/envelope.hpp"

#include <boost/system/result.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace kemas::commands {

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

boost::system::result<envelope, envelope_problem> decode_envelope(std::string_view text,
                                                                  const decode_limits& limits = {});

// Compact JSON in the field order above. The rvalue overload moves the payload into the
// document instead of copying it (an inline upload body is ~350 KB).
std::string encode_envelope(const envelope& command);
std::string encode_envelope(envelope&& command);

// Lets boost::system::result<T, envelope_problem>::value() throw (std::runtime_error).
[[noreturn]] void throw_exception_from_error(const envelope_problem& problem,
                                             const boost::source_location& location);

}  // namespace kemas::commands
