#pragma once
// Values that cross the boundary of the AMQP actors: what a caller publishes, what a
// consumer callback receives, and how a publish ended. No librabbitmq types here.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>

namespace kemas::amqp {

// Application headers we write and read: strings and integers. Headers of other AMQP types
// on a delivery (x-death arrays, tables, floats) are left out of `delivery::headers` but are
// kept byte-exact when the consumer republishes the message to the dead-letter exchange.
using header_value = std::variant<std::string, std::int64_t>;
using header_map = std::map<std::string, header_value, std::less<>>;

struct outgoing_message {
  std::string exchange;  // "" is the default exchange (direct reply-to replies)
  std::string routing_key;
  std::string body;
  std::string message_id;      // commands: the envelope id
  std::string type;            // commands: the command type
  std::string correlation_id;  // commands: the request id
  std::string content_type = "application/json";
  header_map headers;
  bool persistent = true;  // delivery_mode 2
  // Returned (and reported as an error) when no queue takes it. Turn off for replies to
  // amq.rabbitmq.reply-to names: the broker reports NO_ROUTE there even when it delivered.
  bool mandatory = true;
  std::optional<std::chrono::milliseconds> expiration;  // per-message TTL
  std::optional<std::string> reply_to;
};

// How a publish ended. Only `ok()` means the broker took responsibility for the message.
enum class publish_error {
  none,
  nacked,           // the broker refused it (e.g. reject-publish on a full queue)
  returned,         // mandatory and unroutable
  timeout,          // no confirm within confirm_timeout: the message may or may not be stored
  not_connected,    // the publisher is between connections; nothing was sent
  connection_lost,  // sent, then the connection or channel died before the confirm
  shut_down,        // the publisher is stopping
};

struct publish_result {
  publish_error error = publish_error::none;
  std::string detail;  // human-readable cause, empty when ok

  bool ok() const noexcept { return error == publish_error::none; }
};

const char* to_string(publish_error error) noexcept;

// One message handed to a consumer callback.
struct delivery {
  std::string queue;     // the queue it was consumed from
  std::string exchange;  // exchange it was published to
  std::string routing_key;
  std::string body;
  std::string message_id;
  std::string type;
  std::string correlation_id;
  std::string content_type;
  std::optional<std::string> reply_to;
  header_map headers;
  bool redelivered = false;
  // x-delivery-count of quorum queues: how often it was returned to the queue before; 0 on
  // the first delivery (the broker omits the header then).
  std::int64_t delivery_count = 0;
};

}  // namespace kemas::amqp
