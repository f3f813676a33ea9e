#pragma once
// The command types: the changes to files and plans that kemas-api (and the scheduler) turn
// into messages and kemas-worker applies (DESIGN.md "Commands and events"). Each type has one
// home: domain/commands/<type>.hpp (typed payload + JSON codec) and
// schemas/commands/<type>.schema.json. Adding a type means adding it here, there, and a
// handler in workers/handlers/.

#include <array>
#include <optional>
#include <string_view>

namespace kemas::commands {

// One enumerator per command type; each has its own queue `kemas.commands.<name>`.
enum class command_type {
  upload,
  delete_file,
  upgrade,
  expire,
  expire_sweep,
  assign_plan,
  expire_share,
  expire_upload
};

inline constexpr std::array<command_type, 8> all_command_types{
    command_type::upload,       command_type::delete_file,  command_type::upgrade,
    command_type::expire,       command_type::expire_sweep, command_type::assign_plan,
    command_type::expire_share, command_type::expire_upload};

// The wire name: "upload", "delete", "upgrade", "expire", "expire-sweep", "assign-plan",
// "expire-share", "expire-upload". It is the envelope's
// `type`, the AMQP `type` property and the routing key on `kemas.commands`.
std::string_view to_string(command_type type) noexcept;

// Inverse of to_string; nullopt for anything else (exact, case-sensitive match).
std::optional<command_type> command_type_from_string(std::string_view name) noexcept;

}  // namespace kemas::commands
