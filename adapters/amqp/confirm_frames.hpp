#pragma once
// The publisher-confirm frames of a confirm-mode channel — basic.ack, basic.nack and
// basic.return — fed to a confirm_tracker. Both actors that publish with confirms (the
// publisher, and the consumer when it dead-letters) read their frames through this, so a
// confirm means the same thing everywhere.
//
// Threading: call on the actor thread that owns `state` (it reads the returned message's
// header and body from the connection).

#include <amqp.h>

#include <optional>
#include <string>
#include <vector>

#include "adapters/amqp/confirm_tracker.hpp"

namespace kemas::amqp {

struct confirm_frame_outcome {
  bool handled = false;  // the frame was an ack, nack or return
  std::vector<confirm_tracker::finished> finished;  // publishes the frame completed
  // Set when a returned message could not be read: the connection is out of step and must
  // be dropped.
  std::optional<std::string> failure;
};

// A basic.return only records why the message came back; the ack that follows completes it.
confirm_frame_outcome apply_confirm_frame(amqp_connection_state_t state, const amqp_frame_t& frame,
                                          confirm_tracker& tracker);

}  // namespace kemas::amqp
