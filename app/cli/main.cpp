// kemas: the terminal client of a kemas server (README "Terminal client").
#include <CLI/CLI.hpp>

#include <curl/curl.h>

#include <exception>
#include <iostream>
#include <vector>

#include "cli_command.hpp"

int main(int argc, char** argv) {
  using namespace kemas::cli;
  CLI::App app{"kemas: your files on a kemas server, from the terminal"};
  app.require_subcommand(1);
  global_options options;
  app.add_option("--server,-s", options.server,
                 "server URL (default: $KEMAS_SERVER, the one logged in to, else "
                 "http://127.0.0.1:8081)");
  app.add_flag("--json", options.json, "print one JSON document for scripts");
  app.add_option("--retries", options.retries,
                 "tries again after a dropped connection, 429 or 502-504 (default 5)")
      ->check(CLI::Range(0, 100));

  std::vector<command> commands{add_login_command(app), add_logout_command(app),
                                add_whoami_command(app), add_ls_command(app),
                                add_put_command(app),    add_get_command(app),
                                add_mv_command(app),     add_rm_command(app),
                                add_plan_command(app),   add_share_command(app)};
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? exit_ok : exit_usage;
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  int code = exit_usage;
  try {
    for (const auto& c : commands) {
      if (c.cli->parsed()) {
        code = c.run(options);
        break;
      }
    }
  } catch (const std::exception& e) {
    std::cerr << "kemas: " << e.what() << "\n";
    code = exit_failed;
  }
  curl_global_cleanup();
  return code;
}
