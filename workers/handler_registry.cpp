#include "workers/handler_registry.hpp"

#include "adapters/amqp/command_scheduler.hpp"
#include "adapters/amqp/publisher.hpp"
#include "adapters/amqp/topology.hpp"
#include "adapters/billing/demo_provider.hpp"
#include "adapters/config/settings.hpp"
#include "adapters/postgres/commands/file_command_store.hpp"
#include "adapters/postgres/commands/plan_command_store.hpp"
#include "adapters/postgres/commands/share_command_store.hpp"
#include "adapters/postgres/commands/tus_command_store.hpp"
#include "adapters/postgres/pool.hpp"
#include "adapters/s3/client.hpp"
#include "adapters/s3/object_store.hpp"
#include "workers/handlers/delete_handler.hpp"
#include "workers/handlers/expire_handler.hpp"
#include "workers/handlers/expire_share_handler.hpp"
#include "workers/handlers/expire_upload_handler.hpp"
#include "workers/handlers/sweep_handler.hpp"
#include "workers/handlers/assign_plan_handler.hpp"
#include "workers/handlers/upgrade_handler.hpp"
#include "workers/handlers/upload_handler.hpp"

#include "workers/worker_metrics.hpp"

#include <unistd.h>

#include <algorithm>
#include <stdexcept>

namespace kemas::worker {

void handler_registry::add(commands::command_type type, std::shared_ptr<command_handler> handler) {
  if (!handler)
    throw std::logic_error("null handler for " + std::string(to_string(type)));
  if (!handlers_.emplace(type, std::move(handler)).second) {
    throw std::logic_error("two handlers for command type " + std::string(to_string(type)));
  }
}

command_handler* handler_registry::find(commands::command_type type) const noexcept {
  auto it = handlers_.find(type);
  return it == handlers_.end() ? nullptr : it->second.get();
}

handler_registry make_command_handlers(const config::settings& settings,
                                       worker_metrics* metrics) {
  // One pool and one S3 client for all handlers: both are shared safely across the handler
  // threads. The pool has no more sessions than there are handler threads to use them.
  config::postgres_settings db_settings = settings.postgres;
  db_settings.pool_size = std::max(1u, std::min(db_settings.pool_size,
                                                std::max(1u, settings.worker.handler_threads)));
  auto db = std::make_shared<postgres::pg_pool>(db_settings, "kemas-worker");
  file_ports ports{std::make_shared<postgres::file_command_store>(db),
                   std::make_shared<s3::s3_object_store>(std::make_shared<s3::s3_client>(settings.s3))};

  // The plan handlers publish expire commands from handler threads (publish_sync): a
  // connection of their own, so a long sweep never queues behind the dispatcher's retries.
  amqp::publisher_options scheduling;
  scheduling.name = "kemas-worker scheduling pid " + std::to_string(::getpid());
  scheduling.declare_on_connect = amqp::kemas_topology(settings.amqp.delivery_limit);
  plan_ports plans;
  plans.store = std::make_shared<postgres::plan_command_store>(db);
  plans.scheduler = std::make_shared<amqp::amqp_command_scheduler>(
      std::make_shared<amqp::amqp_publisher>(settings.amqp, std::move(scheduling)));
  plans.payments = billing::make_payment_provider(settings.billing.provider);
  if (metrics != nullptr)
    plans.count_expiry = [metrics](std::string_view outcome) { metrics->plan_expiry(outcome); };

  share_ports shares{std::make_shared<postgres::share_command_store>(db), plans.scheduler};
  tus_ports tus{std::make_shared<postgres::tus_command_store>(db), ports.objects, plans.scheduler};

  handler_registry registry;
  registry.add(commands::command_type::upload,
               std::make_shared<upload_handler>(ports, settings.worker.group_size));
  registry.add(commands::command_type::delete_file, std::make_shared<delete_handler>(ports));
  registry.add(commands::command_type::upgrade, std::make_shared<upgrade_handler>(plans));
  registry.add(commands::command_type::expire, std::make_shared<expire_handler>(plans, settings.worker.group_size));
  registry.add(commands::command_type::expire_sweep, std::make_shared<sweep_handler>(plans, settings.worker.sweep_page));
  registry.add(commands::command_type::assign_plan, std::make_shared<assign_plan_handler>(plans));
  registry.add(commands::command_type::expire_share,
               std::make_shared<expire_share_handler>(std::move(shares)));
  registry.add(commands::command_type::expire_upload,
               std::make_shared<expire_upload_handler>(std::move(tus)));
  return registry;
}

}  // namespace kemas::worker
