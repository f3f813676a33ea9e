#pragma once
// The terminal client's subcommands (kemas login, ls, put, get, ...). Each lives in its own
// file and registers itself on the CLI11 app; main() runs the one that was parsed.
//
// Exit codes (README "Terminal client"), the same for every command:
//   0 done                       4 refused: a name taken, over quota or plan limits
//   1 failed otherwise           5 kemas or the network unavailable (5xx, no connection)
//   2 not logged in / refused    6 a download's SHA-256 differs from the file's
//     credentials (401, 403)    64 usage error (CLI11 prints it)
//   3 no such file or link (404, 410)

#include <functional>
#include <string>

namespace CLI {
class App;
}

namespace kemas::cli {

inline constexpr int exit_ok = 0;
inline constexpr int exit_failed = 1;
inline constexpr int exit_unauthenticated = 2;
inline constexpr int exit_not_found = 3;
inline constexpr int exit_refused = 4;
inline constexpr int exit_unavailable = 5;
inline constexpr int exit_corrupt = 6;
inline constexpr int exit_usage = 64;

// Options every subcommand shares, filled in by CLI11 before a command runs.
struct global_options {
  std::string server;  // --server; else $KEMAS_SERVER, the server logged in to, localhost:8081
  bool json = false;   // --json: one JSON document on stdout, for scripts
  // --retries: how often put and get try again after a transient failure (no connection, a
  // dropped one, 429, 502-504), waiting 0.5 s, 1 s, 2 s ... (at most 8 s) or Retry-After.
  unsigned retries = 5;
};

struct command {
  CLI::App* cli = nullptr;
  std::function<int(const global_options&)> run;  // the exit code; does not throw
};

command add_login_command(CLI::App& app);   // login_command.cpp
command add_logout_command(CLI::App& app);  // login_command.cpp
command add_whoami_command(CLI::App& app);  // whoami_command.cpp
command add_ls_command(CLI::App& app);      // ls_command.cpp
command add_put_command(CLI::App& app);     // put_command.cpp
command add_get_command(CLI::App& app);     // get_command.cpp
command add_mv_command(CLI::App& app);      // mv_command.cpp
command add_rm_command(CLI::App& app);      // rm_command.cpp
command add_plan_command(CLI::App& app);    // plan_command.cpp
command add_share_command(CLI::App& app);   // share_command.cpp

}  // namespace kemas::cli
