#include "adapters/amqp/settle_mailbox.hpp"

namespace kemas::amqp {

void delivery_handle::state::settle(settle_action action, std::string reason) {
  if (settled.exchange(true))
    return;
  box->push({generation, tag, action, std::move(reason)});
}

delivery_handle::state::~state() {
  if (!settled.load())
    box->push({generation, tag, settle_action::requeue, {}});
}

void delivery_handle::ack() const {
  if (state_)
    state_->settle(settle_action::ack, {});
}

void delivery_handle::requeue() const {
  if (state_)
    state_->settle(settle_action::requeue, {});
}

void delivery_handle::dead_letter(std::string reason) const {
  if (state_)
    state_->settle(settle_action::dead_letter, std::move(reason));
}

bool delivery_handle::settled() const noexcept {
  return !state_ || state_->settled.load();
}

}  // namespace kemas::amqp
