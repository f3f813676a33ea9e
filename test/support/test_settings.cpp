#include "test/support/test_settings.hpp"

#include <fstream>
#include <stdexcept>

#include "adapters/config/loader.hpp"

namespace kemas::test {

std::string source_path(const std::string& relative) { return std::string(KEMAS_SOURCE_DIR) + "/" + relative; }

config::environment_view test_environment() {
  auto variables = config::environment_view::from_process().all();
  std::ifstream file(source_path(".run/env"));
  std::string line;
  while (std::getline(file, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    variables.emplace(line.substr(0, eq), line.substr(eq + 1));  // the process's own value wins
  }
  return config::environment_view(std::move(variables));
}

config::settings test_settings() {
  auto loaded = config::load_settings(source_path("conf/kemas.toml"), test_environment());
  if (!loaded.ok()) throw std::runtime_error("test settings do not load:\n" + loaded.error_text());
  return *loaded.value;
}

}  // namespace kemas::test
