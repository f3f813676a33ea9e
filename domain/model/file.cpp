#include "domain/model/file.hpp"

namespace kemas::model {

std::string_view to_string(file_state state) noexcept {
  switch (state) {
    case file_state::active:
      return "active";
    case file_state::locked:
      return "locked";
    case file_state::deleted:
      return "deleted";
  }
  return "active";
}

std::optional<file_state> file_state_from(std::string_view name) noexcept {
  for (file_state state : {file_state::active, file_state::locked, file_state::deleted}) {
    if (to_string(state) == name)
      return state;
  }
  return std::nullopt;
}

}  // namespace kemas::model
