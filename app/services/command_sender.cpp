#include "app/services/command_sender.hpp"

#include <chrono>

#include "adapters/amqp/command_message.hpp"
#include "adapters/amqp/publisher.hpp"
#include "adapters/log/logging.hpp"
#include "adapters/support/random.hpp"

namespace kemas::app {

commands::envelope_header command_sender::header_for(const command_origin& origin) {
  commands::envelope_header header;
  header.id = support::random_uuid().to_string();
  header.issued_at =
      std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  header.request_id = origin.request_id;
  if (origin.user)
    header.actor.user_id = origin.user->to_string();
  if (!origin.client_ip.empty())
    header.actor.ip = origin.client_ip;
  return header;
}

boost::asio::awaitable<result<std::string>> command_sender::publish(commands::envelope envelope) {
  const std::string id = envelope.id;
  const std::string request_id = envelope.request_id;
  const commands::command_type type = envelope.type;
  amqp::outgoing_message message = amqp::command_message(std::move(envelope));
  const amqp::publish_result published = co_await publisher_.publish(std::move(message));
  if (!published.ok()) {
    log::warn("command not published", {{"request_id", request_id},
                                         {"command_id", id},
                                         {"type", std::string(commands::to_string(type))},
                                         {"error", amqp::to_string(published.error)},
                                         {"detail", published.detail}});
    co_return make_error(errc::backend_unavailable, "the command queue is unavailable");
  }
  co_return id;
}

}  // namespace kemas::app
