#pragma once
// command_sender: how a service hands a typed command (domain/commands/<type>.hpp) to the
// workers. It wraps the command in its envelope — a fresh command id, issued now, the
// request id and the caller for the worker's log lines and events — and publishes it on the
// command bus (ports::command_bus: success means the broker stored it; backend_unavailable
// means it may or may not have been, so the caller must not assume either).
//
// Threading: awaitables on the caller's executor.

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>

#include "domain/commands/envelope.hpp"
#include "domain/ports/command_bus.hpp"
#include "domain/result.hpp"
#include "domain/uuid.hpp"

namespace kemas::app {

// Who asked, carried into the envelope.
struct command_origin {
  std::string request_id;
  std::optional<uuid> user;  // nullopt: an operator or the internal route
  std::string client_ip;
};

class command_sender {
 public:
  explicit command_sender(ports::command_bus& bus) : bus_(bus) {}

  // Returns the command id.
  template <class Command>
  boost::asio::awaitable<result<std::string>> send(const Command& command,
                                                   const command_origin& origin) {
    commands::envelope envelope = commands::make_envelope(command, header_for(origin));
    const std::string id = envelope.id;
    auto published = co_await bus_.publish(std::move(envelope));
    if (!published)
      co_return published.error();
    co_return id;
  }

  // The same for a command meant for `due_at`, through the delay queues (command_bus.hpp).
  template <class Command>
  boost::asio::awaitable<result<std::string>> send_at(const Command& command,
                                                      const command_origin& origin,
                                                      timestamp due_at) {
    commands::envelope envelope = commands::make_envelope(command, header_for(origin));
    const std::string id = envelope.id;
    auto published = co_await bus_.publish_at(std::move(envelope), due_at);
    if (!published)
      co_return published.error();
    co_return id;
  }

 private:
  static commands::envelope_header header_for(const command_origin& origin);

  ports::command_bus& bus_;
};

}  // namespace kemas::app
