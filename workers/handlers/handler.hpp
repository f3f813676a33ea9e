#pragma once
// What a command handler is (DESIGN.md "Rules"): it runs on a worker handler thread, applies
// the command in one database transaction and is idempotent by the command id. Its result
// decides what happens to the message:
//   done    -> acked (only after the commit)
//   retry   -> a transient fault (database or S3 unavailable): retried later through the
//              delay queues with a growing delay; after worker.retry_attempts runs it is
//              dead-lettered with the reason (workers/command_dispatcher.hpp)
//   reject  -> dead-lettered with the reason: the command can never succeed
// A handler that throws is treated as `retry` with the exception's text.
//
// Handlers (this folder) see only the domain and its ports: the library they are built in,
// kemas_worker_handlers, links no adapter (workers/handler_registry.cpp wires those in).

#include "domain/commands/envelope.hpp"

#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace kemas::worker {

struct handler_result {
  enum class outcome { done, retry, reject };
  outcome what = outcome::done;
  std::string reason;

  static handler_result done() { return {outcome::done, {}}; }
  static handler_result retry(std::string why) { return {outcome::retry, std::move(why)}; }
  static handler_result reject(std::string why) { return {outcome::reject, std::move(why)}; }
};

// What the dispatcher knows of a delivery that the command itself does not say.
struct delivery_facts {
  // RabbitMQ hands the message out for the first time (not redelivered, no x-delivery-count)
  // and no retry republished it (attempt 1): no worker can have processed it before, unless
  // its producer published the same command twice.
  bool first = false;
};

class command_handler {
 public:
  virtual ~command_handler() = default;
  // Called concurrently from several handler threads: implementations keep no unguarded
  // mutable state.
  virtual handler_result handle(const commands::envelope& command) = 0;

  // Group commit: how many commands of this type one handle_group() call may take (1: the
  // handler works one command at a time). The dispatcher groups deliveries that are waiting
  // anyway; it never holds one back to fill a group.
  virtual std::size_t group_limit() const noexcept { return 1; }
  // Handles several commands at once (typically in one transaction); result i is command
  // i's, settled as handle()'s would be. A handler must keep each command's idempotency and
  // isolate a member that fails (retry it alone) rather than fail the group for it.
  virtual std::vector<handler_result> handle_group(std::span<const commands::envelope> commands) {
    std::vector<handler_result> out;
    out.reserve(commands.size());
    for (const auto& command : commands)
      out.push_back(handle(command));
    return out;
  }

  // What the dispatcher calls: handle() and handle_group() with what it knows of each
  // delivery (facts[i] is commands[i]'s). A handler may leave out work that only a repeated
  // delivery needs; by default the facts are not used.
  virtual handler_result handle_delivery(const commands::envelope& command,
                                         const delivery_facts& /*facts*/) {
    return handle(command);
  }
  virtual std::vector<handler_result> handle_deliveries(
      std::span<const commands::envelope> commands, std::span<const delivery_facts> /*facts*/) {
    return handle_group(commands);
  }
};

// A handler of one command type: the envelope's payload is decoded by the type's codec
// (domain/commands/<type>.hpp) before apply() sees it; a payload the codec refuses is
// rejected (dead-lettered) with the codec's reason.
template <class Command>
class typed_handler : public command_handler {
 public:
  handler_result handle(const commands::envelope& command) final {
    return handle_delivery(command, delivery_facts{});
  }
  handler_result handle_delivery(const commands::envelope& command,
                                 const delivery_facts& facts) final {
    auto decoded = commands::decode_as<Command>(command);
    if (!decoded)
      return handler_result::reject(decoded.error().reason);
    return apply_delivered(command, *decoded, facts);
  }

 protected:
  virtual handler_result apply(const commands::envelope& envelope, const Command& command) = 0;
  // With what the dispatcher knows of the delivery; a handler that has no use for it
  // implements the overload above only.
  virtual handler_result apply_delivered(const commands::envelope& envelope,
                                        const Command& command,
                                        const delivery_facts& /*facts*/) {
    return apply(envelope, command);
  }
};

}  // namespace kemas::worker
