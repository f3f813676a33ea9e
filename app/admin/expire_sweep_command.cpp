// kemas-admin expire-sweep: publishes one `expire-sweep` command {} (no actor: an operator),
// publisher-confirmed, and prints its id. A commands worker then finds every account whose
// paid plan is past due and applies one `expire` each (a page per transaction) — the same as the scheduler role's
// periodic sweep and POST /api/v1/internal/scheduler/check-expired-packages.
#include "adapters/amqp/command_message.hpp"
#include "adapters/amqp/publisher.hpp"
#include "adapters/amqp/topology.hpp"
#include "adapters/support/random.hpp"
#include "app/admin/command.hpp"
#include "domain/commands/expire_sweep.hpp"

#include <CLI/CLI.hpp>

#include <chrono>
#include <iostream>

namespace kemas::admin {
namespace {

int run_expire_sweep(const global_options& options) {
  auto settings = load_admin_settings(options);
  if (!settings)
    return exit_failure;

  const std::string id = support::random_uuid().to_string();
  const auto envelope = commands::make_envelope(
      commands::expire_sweep{},
      {id, std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now()),
       "kemas-admin-" + id, {}});

  // Declaring the topology first means the sweep's queue exists even on a fresh broker.
  amqp::amqp_publisher publisher(
      settings->amqp, amqp::publisher_options{"kemas-admin expire-sweep",
                                              amqp::kemas_topology(settings->amqp.delivery_limit)});
  const auto published = publisher.publish_sync(amqp::command_message(envelope));
  publisher.stop();
  if (!published.ok()) {
    std::cerr << "kemas-admin expire-sweep: not published (" << amqp::to_string(published.error)
              << (published.detail.empty() ? "" : ": " + published.detail) << ")\n";
    return exit_failure;
  }
  std::cout << "published expire-sweep " << envelope.id << "\n";
  return exit_ok;
}

}  // namespace

command add_expire_sweep_command(CLI::App& app) {
  auto* sub = app.add_subcommand(
      "expire-sweep", "ask the workers to downgrade every account whose paid plan is past due");
  return {sub, [](const global_options& options) { return run_expire_sweep(options); }};
}

}  // namespace kemas::admin
