#pragma once
// Command handlers and the registry that maps a command type to its handler.
//
// Contract of a handler (DESIGN.md "Rules"): it runs on a worker handler thread, applies the
// command in one PostgreSQL transaction and is idempotent by the command id. Its result
// decides what happens to the message:
//   done    -> acked (only after the commit)
//   retry   -> requeued: a transient fault (database or S3 unavailable); the queue's delivery
//              limit ends endless loops (the last attempt is dead-lettered with the reason)
//   reject  -> dead-lettered with the reason: the command can never succeed
// A handler that throws is treated as `retry` with the exception's text.
//
// make_command_handlers() registers upload and delete (workers/handlers/); commands of the
// other types are dead-lettered as "no handler" until step 4 adds theirs.

#include "domain/command.hpp"

#include <map>
#include <memory>
#include <string>

namespace kemas::config {
struct settings;
}

namespace kemas::worker {

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
  virtual handler_result handle(const domain::command_envelope& command) = 0;
};

class handler_registry {
 public:
  // Throws std::logic_error when `type` already has a handler.
  void add(domain::command_type type, std::shared_ptr<command_handler> handler);
  // nullptr when no handler is registered for `type`.
  command_handler* find(domain::command_type type) const noexcept;
  std::size_t size() const noexcept { return handlers_.size(); }

 private:
  std::map<domain::command_type, std::shared_ptr<command_handler>> handlers_;
};

// The handlers of this build, wired to their ports (a PostgreSQL pool and an S3 client,
// created here; neither connects before the first command). Throws std::invalid_argument
// for unusable postgres or s3 settings.
handler_registry make_command_handlers(const config::settings& settings);

}  // namespace kemas::worker
