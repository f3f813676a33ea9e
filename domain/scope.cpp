#include "domain/scope.hpp"

namespace kemas {

std::string_view scope_name(scope s) noexcept {
  switch (s) {
    case scope::files_read:
      return "files:read";
    case scope::files_write:
      return "files:write";
  }
  return "";
}

std::optional<scope> parse_scope(std::string_view name) noexcept {
  for (scope s : {scope::files_read, scope::files_write}) {
    if (scope_name(s) == name)
      return s;
  }
  return std::nullopt;
}

std::vector<std::string> scope_set::names() const {
  std::vector<std::string> out;
  for (scope s : {scope::files_read, scope::files_write}) {
    if (contains(s))
      out.emplace_back(scope_name(s));
  }
  return out;
}

}  // namespace kemas
