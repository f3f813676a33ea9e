#include "test/support/test_settings.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "adapters/config/loader.hpp"

namespace kemas::test {

std::string source_path(const std::string& relative) {
  return std::string(KEMAS_SOURCE_DIR) + "/" + relative;
}

std::string child_log_path(const std::string& name) {
  const char* lane = std::getenv("KEMAS_TEST_LANE");
  const std::filesystem::path dir = std::filesystem::path(KEMAS_BINARY_DIR) / "test" / "logs" /
                                    ((lane != nullptr && *lane != '\0') ? lane : "no-lane");
  std::filesystem::create_directories(dir);
  return (dir / (name + ".log")).string();
}

std::string run_env_path() {
  // scripts/test.sh keeps its servers apart from scripts/run.sh's (KEMAS_SVC_DIR=.run-test).
  const char* dir = std::getenv("KEMAS_SVC_DIR");
  return (dir != nullptr && *dir != '\0') ? std::string(dir) + "/env" : source_path(".run/env");
}

std::vector<std::pair<std::string, std::string>> run_env_entries() {
  std::vector<std::pair<std::string, std::string>> entries;
  std::ifstream file(run_env_path());
  std::string line;
  while (std::getline(file, line)) {
    if (line.empty() || line[0] == '#')
      continue;
    const auto eq = line.find('=');
    if (eq == std::string::npos)
      continue;
    entries.emplace_back(line.substr(0, eq), line.substr(eq + 1));
  }
  return entries;
}

config::environment_view test_environment() {
  auto variables = config::environment_view::from_process().all();
  for (auto& [name, value] : run_env_entries()) {
    variables.emplace(std::move(name), std::move(value));  // the process's own value wins
  }
  return config::environment_view(std::move(variables));
}

config::settings test_settings() {
  auto loaded = config::load_settings(source_path("conf/kemas.toml"), test_environment());
  if (!loaded.ok())
    throw std::runtime_error("test settings do not load:\n" + loaded.error_text());
  return *loaded.value;
}

}  // namespace kemas::test
