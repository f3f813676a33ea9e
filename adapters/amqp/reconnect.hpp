#pragma once
// What the AMQP actors (publisher, consumer) share around their connection: when to try to
// connect again, and the broker's closing frames. Both run one loop on their own thread; a
// loop turn without a connection is reconnect_schedule::turn().
//
// Threading: on the actor's own thread only.

#include <amqp.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "adapters/amqp/backoff.hpp"

namespace kemas::amqp {

class connection;

class reconnect_schedule {
 public:
  reconnect_schedule(std::chrono::milliseconds min, std::chrono::milliseconds max)
      : delays_(min, max) {}

  // One turn of the loop while there is no connection: calls `connect` when an attempt is
  // due (at once the first time, then after a growing delay per failure) and returns true if
  // it succeeded; otherwise waits until mail arrives on `mail_fd` or the next attempt is due,
  // at most `idle`, and returns false.
  bool turn(int mail_fd, std::chrono::milliseconds idle, const std::function<bool()>& connect);

 private:
  using clock = std::chrono::steady_clock;
  backoff delays_;
  clock::time_point next_attempt_ = clock::now();
};

// The broker closed a channel or the whole connection.
struct broker_close {
  bool whole_connection = false;
  amqp_channel_t channel = 0;
  std::string why;  // "channel 1 closed: 406 PRECONDITION_FAILED - ..." for the logs
};

// When `frame` is channel.close or connection.close: acknowledges it on `conn` (the protocol
// asks for the -ok) and says what closed. nullopt for any other frame.
std::optional<broker_close> take_close(connection& conn, const amqp_frame_t& frame);

}  // namespace kemas::amqp
