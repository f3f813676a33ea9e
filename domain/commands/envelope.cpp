#include "domain/commands/envelope.hpp"

#include <stdexcept>

#include "domain/uuid.hpp"

namespace kemas::commands {

void throw_exception_from_error(const payload_problem& problem, const boost::source_location&) {
  throw std::runtime_error(problem.reason);
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

}  // namespace kemas::commands
