// kemas-admin: the operator CLI (migrate, create-admin, user, expire-sweep, audit).
#include "app/admin/command.hpp"

#include <CLI/CLI.hpp>

#include <exception>
#include <iostream>
#include <vector>

int main(int argc, char** argv) {
  using namespace kemas::admin;
  CLI::App app{"kemas-admin: operator tasks for a kemas deployment"};
  app.require_subcommand(1);
  global_options options;
  app.add_option("--config", options.config_path,
                 "settings file (default: $KEMAS_CONFIG, else conf/kemas.toml)");

  std::vector<command> commands;
  commands.push_back(add_migrate_command(app));
  commands.push_back(add_create_admin_command(app));
  commands.push_back(add_user_command(app));
  commands.push_back(add_expire_sweep_command(app));
  commands.push_back(add_audit_command(app));
  commands.push_back(add_reconcile_command(app));
  commands.push_back(add_dlq_command(app));
  commands.push_back(add_config_check_command(app));
  commands.push_back(add_backup_command(app));
  commands.push_back(add_restore_command(app));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);  // prints help or the usage error
    return code == 0 ? exit_ok : exit_usage;
  }
  try {
    for (const auto& c : commands) {
      if (c.cli->parsed())
        return c.run(options);
    }
  } catch (const std::exception& e) {
    // Commands report their own failures; this is the last line for the unexpected.
    std::cerr << "kemas-admin: " << e.what() << "\n";
    return exit_failure;
  }
  return exit_usage;
}
