#pragma once
// The envelope every command travels in (schemas/commands/envelope.schema.json), and the two
// generic entry points to the typed payloads of domain/commands/<type>.hpp:
//   make_envelope(command, header)  a typed command -> an envelope ready to encode and publish
//   decode_as<T>(envelope)          an envelope -> the typed command, or why it is unusable
// Producers and handlers go through these only; nobody builds or reads a payload by hand.
// Pure values: this header knows no AMQP (adapters/amqp/command_message.hpp maps an envelope to
// a message) and no I/O.

#include <boost/json/object.hpp>
#include <boost/system/result.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "domain/commands/command_type.hpp"
#include "domain/rfc3339.hpp"

namespace kemas::commands {

// The envelope version this build writes and understands. A reader rejects other versions
// (a newer writer must bump it when the envelope or a payload changes incompatibly).
inline constexpr int envelope_version = 1;

// Who caused the command. Both are absent for commands issued by the system itself
// (scheduler sweeps, delayed expiry).
struct command_actor {
  std::optional<std::string> user_id;  // uuid text
  std::optional<std::string> ip;       // client address as the API saw it

  bool operator==(const command_actor&) const = default;
};

// `id` makes the command idempotent (the worker records it in processed_commands);
// `request_id` carries the HTTP request's id into the worker's log lines. `payload` is the
// type-specific object, written and read only by the type's codec.
struct envelope {
  std::string id;  // uuid text, lower case
  command_type type = command_type::upload;
  int version = envelope_version;
  timestamp issued_at{};
  std::string request_id;
  command_actor actor;
  boost::json::object payload;

  bool operator==(const envelope&) const = default;
};

// Everything of an envelope but its type and payload: what the producer decides.
struct envelope_header {
  std::string id;
  timestamp issued_at{};
  std::string request_id;
  command_actor actor;
};

// Why a payload (or the actor it needs) cannot be used: the dead-letter reason, e.g.
// "upload payload: field 'size' is missing". Such a command can never succeed.
struct payload_problem {
  std::string reason;
};

template <class T>
using payload_result = boost::system::result<T, payload_problem>;

// Lets payload_result<T>::value() throw (std::runtime_error with the reason).
[[noreturn]] void throw_exception_from_error(const payload_problem& problem,
                                             const boost::source_location& location);

// True for the 8-4-4-4-12 hexadecimal form of a UUID (either case).
bool is_uuid_text(std::string_view text) noexcept;

// True for request ids we accept into logs: 1..128 visible ASCII characters, no spaces or
// quotes (they end up in JSON log lines and HTTP headers).
bool is_valid_request_id(std::string_view text) noexcept;

// The envelope of `command` (one of domain/commands/<type>.hpp): its type, and the payload
// (and, for commands a user issues, actor.user_id) written by the type's codec.
template <class Command>
envelope make_envelope(const Command& command, envelope_header header) {
  envelope out;
  out.id = std::move(header.id);
  out.type = Command::type;
  out.issued_at = header.issued_at;
  out.request_id = std::move(header.request_id);
  out.actor = std::move(header.actor);
  encode(command, out);
  return out;
}

// The typed command of `e`: its type must be Command's, and the type's codec must accept the
// payload (and the actor, where the type needs one).
template <class Command>
payload_result<Command> decode_as(const envelope& e) {
  if (e.type != Command::type) {
    return payload_problem{std::string(to_string(Command::type)) + " command expected, got " +
                           std::string(to_string(e.type))};
  }
  return decode(std::type_identity<Command>{}, e);
}

}  // namespace kemas::commands
