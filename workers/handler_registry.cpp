#include "workers/handler_registry.hpp"

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

handler_registry make_command_handlers(const config::settings&) {
  // Handlers arrive with steps 3-4 (upload, delete, upgrade, expire, expire-sweep).
  return {};
}

}  // namespace kemas::worker
