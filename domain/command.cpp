#include "domain/command.hpp"

#include "domain/uuid.hpp"

namespace kemas::domain {

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

bool is_uuid_text(std::string_view text) noexcept {
  return uuid::parse(text).has_value();
}

bool is_valid_request_id(std::string_view text) noexcept {
  if (text.empty() || text.size() > 128)
    return false;
  for (char c : text) {
    // Visible ASCII except the characters that need escaping in JSON or headers.
    if (c <= ' ' || c > '~' || c == '"' || c == '\\')
      return false;
  }
  return true;
}

}  // namespace kemas::domain
