#include "domain/scope.hpp"
#include "domain/enum_names.hpp"

namespace kemas {

namespace {
constexpr enum_names<scope, 2> scope_names{
    {{scope::files_read, "files:read"}, {scope::files_write, "files:write"}}};
}  // namespace

std::string_view scope_name(scope s) noexcept {
  return name_of(scope_names, s, "");
}

std::optional<scope> parse_scope(std::string_view name) noexcept {
  return value_of(scope_names, name);
}

std::vector<std::string> scope_set::names() const {
  std::vector<std::string> out;
  for (const auto& [s, name] : scope_names) {
    if (contains(s))
      out.emplace_back(name);
  }
  return out;
}

}  // namespace kemas
