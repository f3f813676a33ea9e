#pragma once
// Settings for tests: conf/kemas.toml plus the environment, where the environment is the
// process's own overlaid on the env file scripts/services.sh wrote, so `ctest` works both
// under scripts/test.sh (servers of its own in $KEMAS_SVC_DIR = .run-test) and by hand after
// `scripts/services.sh up` (.run/env).

#include <string>
#include <utility>
#include <vector>

#include "adapters/config/environment.hpp"
#include "adapters/config/settings.hpp"

namespace kemas::test {

// $KEMAS_SVC_DIR/env when KEMAS_SVC_DIR is set, else <source dir>/.run/env.
std::string run_env_path();
// KEY=VALUE lines of run_env_path() (empty when the servers were never started).
std::vector<std::pair<std::string, std::string>> run_env_entries();
config::environment_view test_environment();
// Throws std::runtime_error with the loader's messages if the settings do not load.
config::settings test_settings();
// Absolute path of a file in the source tree ("scripts/services.sh").
std::string source_path(const std::string& relative);
// Where a child process of a test writes its log ("file_commands_test.worker" ->
// <build>/test/logs/<lane>/file_commands_test.worker.log): one folder per lane of
// scripts/test.sh ($KEMAS_TEST_LANE, "no-lane" outside it), so tests that run side by side in
// two lanes and start workers under the same name never read each other's log.
std::string child_log_path(const std::string& name);

}  // namespace kemas::test
