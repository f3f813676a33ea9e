#pragma once
// The `upgrade` command (issue 5 "Upgrade"). For each command:
//   1. one transaction (plan_store_tx.hpp apply_upgrade): lock the buyer's row; a command or
//      order id seen before changes nothing; the plan must exist and be purchasable (not
//      'free', has a duration) else the order is recorded as failed (plan_not_purchasable);
//      the payment provider charges the order (declined: failed order, payment_declined);
//      plan and plan_expires_at set (an active subscription to the same plan is extended
//      from its current end), paid order with what it bought, files that fit unlocked,
//      command recorded, plan.upgraded (or order.failed) in the outbox;
//   2. after the commit, the account's `expire` is scheduled for the new plan_expires_at
//      through the delay queues (command_scheduler.hpp). If that publish fails the command
//      is retried; a retried or redelivered command that finds itself processed schedules
//      the expire of its order again, so scheduling is at least once (expire is idempotent).
// Results: done; retry on transient PostgreSQL faults, an unavailable payment provider or
// a failed schedule; reject (dead-letter) for a malformed payload, a buyer that does not
// exist or a plan name that does not exist (the api checks it first, so it is a plan
// deleted meanwhile; an order needs a plan, so none is written).
//
// Threading: handle() blocks; it runs on worker handler threads, concurrently.

#include "workers/handler_registry.hpp"
#include "workers/handlers/plan_ports.hpp"

namespace kemas::worker {

class upgrade_handler final : public command_handler {
 public:
  explicit upgrade_handler(plan_ports ports) : ports_(std::move(ports)) {}
  handler_result handle(const domain::command_envelope& command) override;

 private:
  plan_ports ports_;
};

}  // namespace kemas::worker
