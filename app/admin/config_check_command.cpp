// kemas-admin config-check: loads the settings exactly as kemas-api and kemas-worker do (file,
// then KEMAS_* variables, then the production rules on secrets) and says whether they would
// start. Prints every problem, never a secret's value. For operators before a deploy, and for
// compose/check, which runs it with the environment of every kemas service of the bundle.
#include "app/admin/command.hpp"

#include <CLI/CLI.hpp>

#include <iostream>

namespace kemas::admin {

command add_config_check_command(CLI::App& app) {
  auto* sub = app.add_subcommand(
      "config-check", "load the settings as the services do and report every problem");
  return {sub, [](const global_options& options) {
            auto settings = load_admin_settings(options);  // prints the problems itself
            if (!settings)
              return exit_failure;
            std::cout << "config ok (" << (settings->env == config::environment::production ? "production" : "development")
                      << ")\n";
            return exit_ok;
          }};
}

}  // namespace kemas::admin
