#pragma once
// How a delivery_handle (consumer.hpp), held by any thread, asks the consumer's actor to
// settle its delivery: a request in the actor's mailbox. Internal to adapters/amqp.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "adapters/amqp/consumer.hpp"
#include "adapters/amqp/mailbox.hpp"

namespace kemas::amqp {

enum class settle_action { ack, requeue, dead_letter };

struct settle_request {
  std::uint64_t generation = 0;
  std::uint64_t tag = 0;
  settle_action action = settle_action::ack;
  std::string reason;
};

using settle_mailbox = mailbox<settle_request>;

// What the actor shares with each handle it gives out: the first settle wins; a handle
// dropped unsettled requeues its delivery.
struct delivery_handle::state {
  std::shared_ptr<settle_mailbox> box;
  std::uint64_t generation = 0;
  std::uint64_t tag = 0;
  std::atomic<bool> settled{false};

  void settle(settle_action action, std::string reason);
  ~state();
};

}  // namespace kemas::amqp
