#pragma once
// Commands: the changes to files and plans that kemas-api turns into messages and
// kemas-worker applies (DESIGN.md "Commands and events"). Pure values: this header knows no
// JSON and no AMQP; adapters/amqp/envelope_codec.hpp turns an envelope into text and back.

#include <array>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace kemas::domain {

// One enumerator per command type; each has its own queue `kemas.commands.<name>`.
enum class command_type { upload, delete_file, upgrade, expire, expire_sweep };

inline constexpr std::array<command_type, 5> all_command_types{
    command_type::upload, command_type::delete_file, command_type::upgrade, command_type::expire,
    command_type::expire_sweep};

// The wire name: "upload", "delete", "upgrade", "expire", "expire-sweep". It is the envelope's
// `type`, the AMQP `type` property and the routing key on `kemas.commands`.
std::string_view to_string(command_type type) noexcept;

// Inverse of to_string; nullopt for anything else (exact, case-sensitive match).
std::optional<command_type> command_type_from_string(std::string_view name) noexcept;

// The envelope version this build writes and understands. A reader rejects other versions
// (a newer writer must bump it when the envelope or a payload changes incompatibly).
inline constexpr int command_envelope_version = 1;

// Who caused the command. Both are absent for commands issued by the system itself
// (scheduler sweeps, delayed expiry).
struct command_actor {
  std::optional<std::string> user_id;  // uuid text
  std::optional<std::string> ip;       // client address as the API saw it

  bool operator==(const command_actor&) const = default;
};

using timestamp = std::chrono::sys_time<std::chrono::milliseconds>;

// The envelope every command travels in. `id` makes the command idempotent (the worker
// records it in processed_commands); `request_id` carries the HTTP request's id into the
// worker's log lines. `payload_json` is the type-specific payload as a serialized JSON object;
// handlers decode it (the domain stays free of a JSON library).
struct command_envelope {
  std::string id;  // uuid text, lower case
  command_type type = command_type::upload;
  int version = command_envelope_version;
  timestamp issued_at{};
  std::string request_id;
  command_actor actor;
  std::string payload_json = "{}";

  bool operator==(const command_envelope&) const = default;
};

// True for the 8-4-4-4-12 hexadecimal form of a UUID (either case).
bool is_uuid_text(std::string_view text) noexcept;

// True for request ids we accept into logs: 1..128 visible ASCII characters, no spaces or
// quotes (they end up in JSON log lines and HTTP headers).
bool is_valid_request_id(std::string_view text) noexcept;

}  // namespace kemas::domain
