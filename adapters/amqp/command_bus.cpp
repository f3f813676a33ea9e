#include "adapters/amqp/command_bus.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>

#include "adapters/amqp/command_message.hpp"
#include "adapters/amqp/command_scheduler.hpp"
#include "adapters/amqp/publisher.hpp"
#include "adapters/log/logging.hpp"

namespace kemas::amqp {

ports::async<result<void>> amqp_command_bus::publish(commands::envelope command) {
  outgoing_message message = command_message(command);
  co_return co_await send(std::move(message), command);
}

ports::async<result<void>> amqp_command_bus::publish_at(commands::envelope command,
                                                        timestamp due_at) {
  const auto now =
      std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  outgoing_message message = scheduled_message(command, due_at, now);
  co_return co_await send(std::move(message), command);
}

ports::async<result<void>> amqp_command_bus::send(outgoing_message message,
                                                  const commands::envelope& command) {
  const publish_result published = co_await publisher_.publish(std::move(message));
  if (!published.ok()) {
    log::warn("command not published", {{"request_id", command.request_id},
                                        {"command_id", command.id},
                                        {"type", std::string(commands::to_string(command.type))},
                                        {"error", to_string(published.error)},
                                        {"detail", published.detail}});
    co_return make_error(errc::backend_unavailable, "the command queue is unavailable");
  }
  co_return result<void>{};
}

}  // namespace kemas::amqp
