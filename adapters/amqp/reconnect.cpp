#include "adapters/amqp/reconnect.hpp"

#include <algorithm>

#include "adapters/amqp/connection.hpp"
#include "adapters/amqp/mailbox.hpp"

namespace kemas::amqp {

bool reconnect_schedule::turn(int mail_fd, std::chrono::milliseconds idle,
                              const std::function<bool()>& connect) {
  if (clock::now() >= next_attempt_) {
    if (connect()) {
      delays_.reset();
      next_attempt_ = clock::now();
      return true;
    }
    next_attempt_ = clock::now() + delays_.next();
  }
  const auto wait =
      std::chrono::duration_cast<std::chrono::milliseconds>(next_attempt_ - clock::now());
  wait_for_activity(-1, mail_fd, std::min(wait, idle));
  return false;
}

std::optional<broker_close> take_close(connection& conn, const amqp_frame_t& frame) {
  if (frame.frame_type != AMQP_FRAME_METHOD)
    return std::nullopt;
  const void* decoded = frame.payload.method.decoded;
  switch (frame.payload.method.id) {
    case AMQP_CHANNEL_CLOSE_METHOD: {
      broker_close out{false, frame.channel,
                       "channel " + std::to_string(frame.channel) + " closed: " +
                           describe_close(*static_cast<const amqp_channel_close_t*>(decoded))};
      conn.acknowledge_channel_close(frame.channel);
      return out;
    }
    case AMQP_CONNECTION_CLOSE_METHOD: {
      broker_close out{true, 0,
                       "connection closed by the broker: " +
                           describe_close(*static_cast<const amqp_connection_close_t*>(decoded))};
      conn.acknowledge_connection_close();
      return out;
    }
    default:
      return std::nullopt;
  }
}

}  // namespace kemas::amqp
