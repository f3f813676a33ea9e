#include "adapters/config/environment.hpp"

extern char** environ;  // POSIX; <unistd.h> declares it only with _GNU_SOURCE

namespace kemas::config {

environment_view environment_view::from_process() {
  map_type variables;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view text{*entry};
    auto equals = text.find('=');
    if (equals == std::string_view::npos)
      continue;
    variables.emplace(std::string(text.substr(0, equals)), std::string(text.substr(equals + 1)));
  }
  return environment_view{std::move(variables)};
}

std::optional<std::string_view> environment_view::get(std::string_view name) const {
  auto it = variables_.find(name);
  if (it == variables_.end())
    return std::nullopt;
  return std::string_view{it->second};
}

}  // namespace kemas::config
