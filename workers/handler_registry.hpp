#pragma once
// Command handlers and the registry that maps a command type to its handler.
//
// Contract of a handler (DESIGN.md "Rules"): it runs on a worker handler thread, applies the
// command in one PostgreSQL transaction and is idempotent by the command id. Its result
// decides what happens to the message:
//   done    -> acked (only after the commit)
//   retry   -> a transient fault (database or S3 unavailable): retried later through the
//              delay queues with a growing delay; after worker.retry_attempts runs it is
//              dead-lettered with the reason (command_dispatcher.hpp)
//   reject  -> dead-lettered with the reason: the command can never succeed
// A handler that throws is treated as `retry` with the exception's text.
//
// make_command_handlers() registers upload, delete, upgrade, expire and expire-sweep
// (workers/handlers/).

#include "domain/commands/envelope.hpp"

#include <map>
#include <memory>
#include <string>

namespace kemas::config {
struct settings;
}

namespace kemas::worker {

class worker_metrics;

struct handler_result {
  enum class outcome { done, retry, reject };
  outcome what = outcome::done;
  std::string reason;

  static handler_result done() { return {outcome::done, {}}; }
  static handler_result retry(std::string why) { return {outcome::retry, std::move(why)}; }
  static handler_result reject(std::string why) { return {outcome::reject, std::move(why)}; }
};

class command_handler {
 public:
  virtual ~command_handler() = default;
  // Called concurrently from several handler threads: implementations keep no unguarded
  // mutable state.
  virtual handler_result handle(const commands::envelope& command) = 0;
};

// A handler of one command type: the envelope's payload is decoded by the type's codec
// (domain/commands/<type>.hpp) before apply() sees it; a payload the codec refuses is
// rejected (dead-lettered) with the codec's reason.
template <class Command>
class typed_handler : public command_handler {
 public:
  handler_result handle(const commands::envelope& command) final {
    auto decoded = commands::decode_as<Command>(command);
    if (!decoded)
      return handler_result::reject(decoded.error().reason);
    return apply(command, *decoded);
  }

 protected:
  virtual handler_result apply(const commands::envelope& envelope, const Command& command) = 0;
};

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
