// kemas-api: the HTTP front end. Loads settings, connects the backends, serves until
// SIGTERM/SIGINT, then drains in-flight requests within http.shutdown_grace.

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <CLI/CLI.hpp>

#include <malloc.h>

#include <csignal>
#include <iostream>

#include "adapters/config/loader.hpp"
#include "adapters/log/logging.hpp"
#include "adapters/metrics/registry.hpp"
#include "app/composition/api_application.hpp"
#include "app/server/io_loops.hpp"
#include "app/server/server.hpp"

namespace asio = boost::asio;
using namespace kemas;

int main(int argc, char** argv) {
  // Upload parts (upload.part_size, MiBs each) are allocated and freed on any I/O thread.
  // glibc's adaptive mmap threshold would soon serve them from per-thread arenas that keep
  // the freed memory resident (measured: ~5 parts of RSS per upload instead of 2); a fixed
  // 1 MiB threshold gives them back to the system as soon as a part has been sent.
  mallopt(M_MMAP_THRESHOLD, 1024 * 1024);
  CLI::App cli{"kemas-api: the kemas HTTP front end"};
  std::string config_path = config::default_config_path().string();
  cli.add_option("--config", config_path,
                 "settings file (default: $KEMAS_CONFIG or conf/kemas.toml)");
  CLI11_PARSE(cli, argc, argv);

  const auto loaded = config::load_settings(config_path, config::environment_view::from_process());
  if (!loaded.ok()) {
    std::cerr << "kemas-api: invalid configuration (" << config_path << "):\n"
              << loaded.error_text() << '\n';
    return 1;
  }
  const config::settings& settings = *loaded.value;
  log::init_logging(settings.log, "kemas-api");
  log::info("starting", {{"settings", config::describe(settings)}});

  try {
    // The main loop runs on this thread; it serves connections too, beside the services'
    // I/O. http.io_threads - 1 more loops serve only connections, one thread each.
    asio::io_context ioc(1);
    http::io_loops loops(ioc, settings.http.io_threads);
    metrics::registry registry("kemas-api");
    registry.add_sampled_counter(
        "kemas_log_lines_dropped_total",
        "Log lines dropped because the log queue (log.queue_lines) was full",
        [] { return static_cast<double>(log::lines_dropped()); });
    metrics::http_metrics http_metrics(registry);
    app::api_application application(ioc, settings, registry, loops.contexts());
    application.warm_up();

    http::server server(ioc, settings.http, settings.env, application.routes(), http_metrics,
                        &application.guard(), &loops);
    server.start();

    asio::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code& ec, int signal_number) {
      if (ec)
        return;
      log::info("signal received, draining",
                {{"signal", static_cast<std::int64_t>(signal_number)}});
      server.shutdown(settings.http.shutdown_grace, [&ioc] { ioc.stop(); });
    });

    loops.start();
    ioc.run();
    loops.stop();
    application.stop();
    log::info("stopped");
    return 0;
  } catch (const std::exception& e) {
    log::critical("fatal", {{"error", e.what()}});
    return 1;
  }
}
