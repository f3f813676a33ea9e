#pragma once
// Runs this build's kemas-admin (development settings, conf/kemas.toml, the servers'
// environment of $KEMAS_SVC_DIR/env or .run/env) and collects what it printed.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "adapters/config/settings.hpp"

namespace kemas::test {

struct admin_run {
  std::optional<int> status;  // nullopt: still running after a minute (then killed)
  std::string out;
  std::string err;
};

using env_list = std::vector<std::pair<std::string, std::string>>;

// `extra` comes last (it wins over the servers' environment).
admin_run run_admin(std::vector<std::string> args, const env_list& extra = {});

// Against a test's scratch database.
admin_run run_admin(const config::postgres_settings& db, std::vector<std::string> args,
                    env_list extra = {});

}  // namespace kemas::test
