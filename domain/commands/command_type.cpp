#include "domain/commands/command_type.hpp"

namespace kemas::commands {

std::string_view to_string(command_type type) noexcept {
  switch (type) {
    case command_type::upload:
      return "upload";
    case command_type::delete_file:
      return "delete";
    case command_type::upgrade:
      return "upgrade";
    case command_type::expire:
      return "expire";
    case command_type::expire_sweep:
      return "expire-sweep";
  }
  return "unknown";
}

std::optional<command_type> command_type_from_string(std::string_view name) noexcept {
  for (command_type type : all_command_types) {
    if (to_string(type) == name)
      return type;
  }
  return std::nullopt;
}

}  // namespace kemas::commands
