#include "domain/commands/command_type.hpp"

#include "domain/enum_names.hpp"

namespace kemas::commands {
namespace {
constexpr enum_names<command_type, 5> type_names{{{command_type::upload, "upload"},
                                                  {command_type::delete_file, "delete"},
                                                  {command_type::upgrade, "upgrade"},
                                                  {command_type::expire, "expire"},
                                                  {command_type::expire_sweep, "expire-sweep"}}};
}  // namespace

std::string_view to_string(command_type type) noexcept { return name_of(type_names, type); }

std::optional<command_type> command_type_from_string(std::string_view name) noexcept {
  return value_of(type_names, name);
}

}  // namespace kemas::commands
