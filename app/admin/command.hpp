#pragma once
// kemas-admin subcommands. Each lives in its own file and registers itself on the CLI11 app;
// main() runs the one that was parsed. Exit codes are shared by all commands:
// 0 done, 1 failed (message on stderr), 2 usage error (CLI11 prints it).

#include "adapters/config/settings.hpp"

#include <functional>
#include <optional>
#include <string>

namespace CLI {
class App;
}

namespace kemas::admin {

inline constexpr int exit_ok = 0;
inline constexpr int exit_failure = 1;
inline constexpr int exit_usage = 2;

// Options every subcommand shares, filled in by CLI11 before a command runs.
struct global_options {
  std::string config_path;  // --config; empty: $KEMAS_CONFIG, else conf/kemas.toml
};

struct command {
  CLI::App* cli = nullptr;                        // the subcommand, to see if it was chosen
  std::function<int(const global_options&)> run;  // returns the exit code; does not throw
};

// Loads and validates the settings, starts logging. On error prints every problem to stderr
// and returns nullopt (exit 1).
std::optional<config::settings> load_admin_settings(const global_options& options);

// One per subcommand file.
command add_migrate_command(CLI::App& app);       // migrate_command.cpp
command add_create_admin_command(CLI::App& app);  // create_admin_command.cpp
command add_user_command(
    CLI::App& app);  // user_command.cpp: user disable|enable|set-role|end-sessions
command add_expire_sweep_command(CLI::App& app);  // expire_sweep_command.cpp
command add_audit_command(CLI::App& app);         // audit_command.cpp: audit verify
command add_reconcile_command(CLI::App& app);     // reconcile_command.cpp: reconcile [--dry-run]
command add_dlq_command(CLI::App& app);           // dlq_command.cpp: dlq list|show|replay|purge
command add_config_check_command(CLI::App& app);  // config_check_command.cpp: config-check
command add_backup_command(CLI::App& app);        // backup_command.cpp: backup --to DIR
command add_restore_command(CLI::App& app);       // restore_command.cpp: restore --from DIR

}  // namespace kemas::admin
