#pragma once
// command_sender: how the api hands work to the workers. Builds the envelope (a fresh
// command id, issued now, the request id and the caller for the worker's log lines and
// events) and publishes it persistent and publisher-confirmed (adapters/amqp). Success means
// the broker has stored the command; anything else is backend_unavailable, and the caller
// must assume the command may still arrive (a confirm timeout does not prove the opposite).
//
// Threading: awaitables on the caller's executor; the publisher is an actor.

#include <boost/asio/awaitable.hpp>

#include <string>

#include "domain/command.hpp"
#include "domain/result.hpp"
#include "domain/uuid.hpp"

namespace kemas::amqp {
class amqp_publisher;
}

namespace kemas::app {

// Who asked, carried into the envelope.
struct command_origin {
  std::string request_id;
  uuid user;
  std::string client_ip;
};

class command_sender {
 public:
  explicit command_sender(amqp::amqp_publisher& publisher) : publisher_(publisher) {}

  // `payload_json` is the serialized payload object. Returns the command id.
  boost::asio::awaitable<result<std::string>> send(domain::command_type type,
                                                   const command_origin& origin,
                                                   std::string payload_json);

 private:
  amqp::amqp_publisher& publisher_;
};

}  // namespace kemas::app
