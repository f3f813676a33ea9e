#include "app/admin/command.hpp"

#include "adapters/config/environment.hpp"
#include "adapters/config/loader.hpp"
#include "adapters/log/logging.hpp"

#include <iostream>

namespace kemas::admin {

std::optional<config::settings> load_admin_settings(const global_options& options) {
  const auto env = config::environment_view::from_process();
  const std::filesystem::path path = options.config_path.empty()
                                         ? config::default_config_path(env)
                                         : std::filesystem::path(options.config_path);
  auto loaded = config::load_settings(path, env);
  if (!loaded.ok()) {
    std::cerr << "kemas-admin: invalid configuration (" << path.string() << "):\n"
              << loaded.error_text() << "\n";
    return std::nullopt;
  }
  log::init_logging(loaded.value->log, "kemas-admin");
  return std::move(loaded.value);
}

}  // namespace kemas::admin
