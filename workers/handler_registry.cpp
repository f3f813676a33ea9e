#include "workers/handler_registry.hpp"

#include "adapters/config/settings.hpp"
#include "workers/handlers/delete_handler.hpp"
#include "workers/handlers/upload_handler.hpp"

#include <algorithm>
#include <stdexcept>

namespace kemas::worker {

void handler_registry::add(domain::command_type type, std::shared_ptr<command_handler> handler) {
  if (!handler)
    throw std::logic_error("null handler for " + std::string(to_string(type)));
  if (!handlers_.emplace(type, std::move(handler)).second) {
    throw std::logic_error("two handlers for command type " + std::string(to_string(type)));
  }
}

command_handler* handler_registry::find(domain::command_type type) const noexcept {
  auto it = handlers_.find(type);
  return it == handlers_.end() ? nullptr : it->second.get();
}

handler_registry make_command_handlers(const config::settings& settings) {
  // One pool and one S3 client for all file handlers: both are shared safely across the
  // handler threads. The pool has no more sessions than there are handler threads to use them.
  config::postgres_settings db_settings = settings.postgres;
  db_settings.pool_size = std::max(1u, std::min(db_settings.pool_size,
                                                std::max(1u, settings.worker.handler_threads)));
  file_ports ports{std::make_shared<postgres::pg_pool>(db_settings, "kemas-worker"),
                   std::make_shared<s3::s3_client>(settings.s3)};
  handler_registry registry;
  registry.add(domain::command_type::upload, std::make_shared<upload_handler>(ports));
  registry.add(domain::command_type::delete_file, std::make_shared<delete_handler>(ports));
  // upgrade, expire and expire-sweep arrive with step 4.
  return registry;
}

}  // namespace kemas::worker
