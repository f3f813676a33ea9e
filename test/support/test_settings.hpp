#pragma once
// Settings for tests: conf/kemas.toml plus the environment, where the environment is the
// process's own overlaid on .run/env (written by scripts/services.sh), so `ctest` works both
// under scripts/test.sh and by hand after `scripts/services.sh up`.

#include <string>
#include <utility>
#include <vector>

#include "adapters/config/environment.hpp"
#include "adapters/config/settings.hpp"

namespace kemas::test {

// KEY=VALUE lines of .run/env (empty when the servers were never started).
std::vector<std::pair<std::string, std::string>> run_env_entries();
config::environment_view test_environment();
// Throws std::runtime_error with the loader's messages if the settings do not load.
config::settings test_settings();
// Absolute path of a file in the source tree ("scripts/services.sh").
std::string source_path(const std::string& relative);

}  // namespace kemas::test
