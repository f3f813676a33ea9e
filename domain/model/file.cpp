#include "domain/model/file.hpp"

#include "domain/enum_names.hpp"

namespace kemas::model {
namespace {
constexpr auto state_names = ordinal_table<file_state::deleted>({"active", "locked", "deleted"});
}  // namespace

std::string_view to_string(file_state state) noexcept {
  return name_of(state_names, state);
}

std::optional<file_state> file_state_from(std::string_view name) noexcept {
  return value_of<file_state>(state_names, name);
}

}  // namespace kemas::model
