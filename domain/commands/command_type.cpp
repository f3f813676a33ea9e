#include "domain/commands/command_type.hpp"

#include "domain/enum_names.hpp"

namespace kemas::commands {
namespace {
constexpr auto type_names = ordinal_table<command_type::expire_upload>(
    {"upload", "delete", "upgrade", "expire", "expire-sweep", "assign-plan", "expire-share",
     "expire-upload"});
}  // namespace

std::string_view to_string(command_type type) noexcept {
  return name_of(type_names, type);
}

std::optional<command_type> command_type_from_string(std::string_view name) noexcept {
  return value_of<command_type>(type_names, name);
}

}  // namespace kemas::commands
