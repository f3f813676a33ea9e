#pragma once
// command_sender: how the api hands work to the workers. Wraps a typed command
// (domain/commands/<type>.hpp) in its envelope — a fresh command id, issued now, the request
// id and the caller for the worker's log lines and events — and publishes it persistent and
// publisher-confirmed (adapters/amqp). Success means the broker has stored the command;
// anything else is backend_unavailable, and the caller must assume the command may still
// arrive (a confirm timeout does not prove the opposite).
//
// Threading: awaitables on the caller's executor; the publisher is an actor.

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>

#include "domain/commands/envelope.hpp"
#include "domain/result.hpp"
#include "domain/uuid.hpp"

namespace kemas::amqp {
class amqp_publisher;
}

namespace kemas::app {

// Who asked, carried into the envelope.
struct command_origin {
  std::string request_id;
  std::optional<uuid> user;  // nullopt: an operator or the internal route
  std::string client_ip;
};

class command_sender {
 public:
  explicit command_sender(amqp::amqp_publisher& publisher) : publisher_(publisher) {}

  // Returns the command id.
  template <class Command>
  boost::asio::awaitable<result<std::string>> send(const Command& command,
                                                   const command_origin& origin) {
    commands::envelope envelope = commands::make_envelope(command, header_for(origin));
    co_return co_await publish(std::move(envelope));
  }

 private:
  static commands::envelope_header header_for(const command_origin& origin);
  boost::asio::awaitable<result<std::string>> publish(commands::envelope envelope);

  amqp::amqp_publisher& publisher_;
};

}  // namespace kemas::app
