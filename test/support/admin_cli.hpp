#pragma once
// Runs this build's kemas-admin against a test's scratch database (development settings,
// conf/kemas.toml) and collects what it printed.

#include <optional>
#include <string>
#include <vector>

#include "adapters/config/settings.hpp"

namespace kemas::test {

struct admin_run {
  std::optional<int> status;  // nullopt: still running after a minute (then killed)
  std::string out;
  std::string err;
};

admin_run run_admin(const config::postgres_settings& db, std::vector<std::string> args);

}  // namespace kemas::test
