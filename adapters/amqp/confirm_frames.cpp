#include "adapters/amqp/confirm_frames.hpp"

#include "adapters/amqp/connection.hpp"
#include "adapters/amqp/properties.hpp"

namespace kemas::amqp {

confirm_frame_outcome apply_confirm_frame(amqp_connection_state_t state, const amqp_frame_t& frame,
                                          confirm_tracker& tracker) {
  confirm_frame_outcome out;
  if (frame.frame_type != AMQP_FRAME_METHOD)
    return out;
  const void* decoded = frame.payload.method.decoded;
  switch (frame.payload.method.id) {
    case AMQP_BASIC_ACK_METHOD: {
      const auto* ack = static_cast<const amqp_basic_ack_t*>(decoded);
      out.handled = true;
      out.finished = tracker.on_ack(ack->delivery_tag, ack->multiple != 0);
      break;
    }
    case AMQP_BASIC_NACK_METHOD: {
      const auto* nack = static_cast<const amqp_basic_nack_t*>(decoded);
      out.handled = true;
      out.finished = tracker.on_nack(nack->delivery_tag, nack->multiple != 0);
      break;
    }
    case AMQP_BASIC_RETURN_METHOD: {
      const auto* returned = static_cast<const amqp_basic_return_t*>(decoded);
      out.handled = true;
      confirm_key key{std::string(as_string_view(returned->exchange)),
                      std::string(as_string_view(returned->routing_key)),
                      {}};
      const std::string detail = std::to_string(returned->reply_code) + " " +
                                 std::string(as_string_view(returned->reply_text));
      // The returned message's header and body follow; read them to learn its message id.
      amqp_message_t message;
      if (amqp_read_message(state, frame.channel, &message, 0).reply_type !=
          AMQP_RESPONSE_NORMAL) {
        out.failure = "reading a returned message failed";
        break;
      }
      key.message_id = std::string(message_id_of(message.properties));
      amqp_destroy_message(&message);
      tracker.on_return(key, detail);
      break;
    }
    default:
      break;
  }
  return out;
}

}  // namespace kemas::amqp
