#include "app/services/command_sender.hpp"

#include <chrono>

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

}  // namespace kemas::app
