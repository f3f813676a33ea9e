#include "domain/model/file.hpp"

#include "domain/enum_names.hpp"

namespace kemas::model {
namespace {
constexpr enum_names<file_state, 3> state_names{{{file_state::active, "active"},
                                                 {file_state::locked, "locked"},
                                                 {file_state::deleted, "deleted"}}};
}  // namespace

std::string_view to_string(file_state state) noexcept { return name_of(state_names, state); }

std::optional<file_state> file_state_from(std::string_view name) noexcept {
  return value_of(state_names, name);
}

}  // namespace kemas::model
