#include "adapters/amqp/command_bus.hpp"

#include <boost/asio/awaitable.hpp>

#include "adapters/amqp/command_message.hpp"
#include "adapters/amqp/publisher.hpp"
#include "adapters/log/logging.hpp"

namespace kemas::amqp {

ports::async<result<void>> amqp_command_bus::publish(commands::envelope command) {
  const std::string id = command.id;
  const std::string request_id = command.request_id;
  const commands::command_type type = command.type;
  outgoing_message message = command_message(std::move(command));
  const publish_result published = co_await publisher_.publish(std::move(message));
  if (!published.ok()) {
    log::warn("command not published", {{"request_id", request_id},
                                        {"command_id", id},
                                        {"type", std::string(commands::to_string(type))},
                                        {"error", to_string(published.error)},
                                        {"detail", published.detail}});
    co_return make_error(errc::backend_unavailable, "the command queue is unavailable");
  }
  co_return result<void>{};
}

}  // namespace kemas::amqp
