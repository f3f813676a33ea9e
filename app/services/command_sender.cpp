#include "app/services/command_sender.hpp"

#include <chrono>

#include "adapters/amqp/envelope_codec.hpp"
#include "adapters/amqp/publisher.hpp"
#include "adapters/log/logging.hpp"
#include "adapters/support/random.hpp"

namespace kemas::app {

boost::asio::awaitable<result<std::string>> command_sender::send(domain::command_type type,
                                                                 const command_origin& origin,
                                                                 std::string payload_json) {
  domain::command_envelope envelope;
  envelope.id = support::random_uuid().to_string();
  envelope.type = type;
  envelope.issued_at =
      std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  envelope.request_id = origin.request_id;
  envelope.actor.user_id = origin.user.to_string();
  if (!origin.client_ip.empty())
    envelope.actor.ip = origin.client_ip;
  envelope.payload_json = std::move(payload_json);

  amqp::outgoing_message message = amqp::command_message(envelope);
  const amqp::publish_result published = co_await publisher_.publish(std::move(message));
  if (!published.ok()) {
    log::warn("command not published", {{"request_id", origin.request_id},
                                         {"command_id", envelope.id},
                                         {"type", std::string(to_string(type))},
                                         {"error", amqp::to_string(published.error)},
                                         {"detail", published.detail}});
    co_return make_error(errc::backend_unavailable, "the command queue is unavailable");
  }
  co_return envelope.id;
}

}  // namespace kemas::app
