#pragma once
// The registry that maps a command type to its handler (workers/handlers/handler.hpp says
// what a handler is). make_command_handlers() registers upload, delete, upgrade, expire and expire-sweep
// (workers/handlers/).

#include "domain/commands/envelope.hpp"
#include "workers/handlers/handler.hpp"

#include <map>
#include <memory>
#include <string>

namespace kemas::config {
struct settings;
}

namespace kemas::worker {

class worker_metrics;

class handler_registry {
 public:
  // Throws std::logic_error when `type` already has a handler.
  void add(commands::command_type type, std::shared_ptr<command_handler> handler);
  // nullptr when no handler is registered for `type`.
  command_handler* find(commands::command_type type) const noexcept;
  std::size_t size() const noexcept { return handlers_.size(); }

 private:
  std::map<commands::command_type, std::shared_ptr<command_handler>> handlers_;
};

// The handlers of this build, wired to their ports, created here: the PostgreSQL stores on one
// pool and the S3 object store (neither connects before the first command), the payment
// provider of billing.provider, and a command scheduler with an AMQP publisher of its own for
// the commands handlers schedule (expire; it connects in the background and declares the
// topology). `metrics` (may be null)
// must outlive the registry. Throws std::invalid_argument for unusable postgres, s3 or
// billing settings.
handler_registry make_command_handlers(const config::settings& settings,
                                       worker_metrics* metrics = nullptr);

}  // namespace kemas::worker
