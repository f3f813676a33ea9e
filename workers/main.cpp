// kemas-worker: consumes commands (or events) from RabbitMQ and applies them.
//   kemas-worker [--role commands|audit|scheduler|mailer|reconciler] [--config path]
// SIGTERM/SIGINT: stop consuming, let in-flight handlers finish within worker.drain_timeout,
// exit 0. Exit 1 on invalid configuration or a fatal start-up error.

#include "adapters/config/loader.hpp"
#include "adapters/log/logging.hpp"
#include "workers/roles.hpp"

#include <CLI/CLI.hpp>

#include <pthread.h>
#include <csignal>
#include <cstdlib>
#include <iostream>

using namespace kemas;

namespace {

// Blocks SIGINT/SIGTERM in this thread and every thread started after it, so that only the
// main thread's sigwait() sees them.
sigset_t block_shutdown_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

}  // namespace

int main(int argc, char** argv) {
  const sigset_t shutdown_signals = block_shutdown_signals();

  CLI::App cli{"kemas-worker: applies kemas commands from RabbitMQ"};
  std::string role_name = "commands";
  std::string config_path;
  // Checked against the roles table itself: a second list here once left a role unreachable.
  cli.add_option("--role", role_name, "commands (default), audit, scheduler, mailer or reconciler")
      ->check(CLI::Validator(
          [](const std::string& name) {
            return worker::role_from_string(name) ? std::string()
                                                  : "unknown role '" + name + "'";
          },
          "ROLE"));
  cli.add_option("--config", config_path,
                 "settings file (default: $KEMAS_CONFIG or conf/kemas.toml)");
  CLI11_PARSE(cli, argc, argv);

  const auto env = config::environment_view::from_process();
  if (config_path.empty())
    config_path = config::default_config_path(env).string();
  const auto loaded = config::load_settings(config_path, env);
  if (!loaded.ok()) {
    std::cerr << "kemas-worker: invalid configuration (" << config_path << "):\n"
              << loaded.error_text() << '\n';
    return 1;
  }
  const config::settings& settings = *loaded.value;
  const worker::role role = *worker::role_from_string(role_name);
  log::init_logging(settings.log, "kemas-worker");
  log::info("starting", {{"role", role_name}, {"settings", config::describe(settings)}});

  std::unique_ptr<worker::running_role> running;
  try {
    running = worker::start_role(role, settings);
  } catch (const std::exception& e) {
    log::critical("start-up failed", {{"role", role_name}, {"error", e.what()}});
    return 1;
  }

  int signal_number = 0;
  sigwait(&shutdown_signals, &signal_number);
  log::info(
      "signal received, draining",
      {{"signal", signal_number},
       {"drain_timeout_ms", static_cast<std::int64_t>(settings.worker.drain_timeout.count())}});
  const bool clean = running->stop(settings.worker.drain_timeout);
  if (!clean) {
    // A handler is stuck past the deadline: its message returns to the queue when our
    // connection closes at exit. Do not wait for it (joining would block forever).
    log::warn("drain deadline passed with work in flight; exiting anyway");
    log::stop_logging();
    std::_Exit(0);
  }
  running.reset();
  log::info("stopped", {{"role", role_name}});
  return 0;
}
