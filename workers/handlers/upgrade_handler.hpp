#pragma once
// The `upgrade` command (domain/commands/upgrade.hpp; issue 5 "Upgrade"). For each:
//   1. where it stands (plan_command_store::start_upgrade, one read): a command or order id
//      seen before changes nothing; the buyer and the plan must exist;
//   2. the decision, here: a plan that cannot be bought ('free', no duration:
//      model::is_purchasable) fails the order (plan_not_purchasable); otherwise the payment
//      provider charges it — outside any transaction, idempotent by order id — and its answer
//      pays or fails the order (payment_declined: <why>), or retries the command later;
//   3. one transaction records the outcome (pay_order: plan and plan_expires_at set, an
//      active subscription to the same plan extended from its end, paid order with what it
//      bought, files that fit unlocked, plan.upgraded; fail_order: failed order with the
//      reason, order.failed), re-checking under the buyer's row lock that no other copy got
//      there first;
//   4. after the commit, the account's `expire` is scheduled for the new plan_expires_at
//      through the delay queues. If that publish fails the command is retried; a retried or
//      redelivered command that finds itself processed schedules the expire of its order
//      again, so scheduling is at least once (expire is idempotent).
// Results: done; retry on transient database faults, an unavailable payment provider or a
// failed schedule; reject (dead-letter) for a malformed payload, a buyer that does not exist
// or a plan name that does not exist (the api checks it first, so it is a plan deleted
// meanwhile; an order needs a plan, so none is written).
//
// Threading: apply() blocks; it runs on worker handler threads, concurrently.

#include "workers/handlers/handler.hpp"
#include "workers/handlers/plan_ports.hpp"

namespace kemas::worker {

class upgrade_handler final : public typed_handler<commands::upgrade> {
 public:
  explicit upgrade_handler(plan_ports ports) : ports_(std::move(ports)) {}

 private:
  handler_result apply(const commands::envelope& envelope,
                       const commands::upgrade& upgrade) override;
  // Step 2 and 3: charge (or not) and record; nullopt with `commit` set, or the result.
  std::optional<handler_result> settle(const commands::envelope& envelope,
                                       const commands::upgrade& upgrade,
                                       const ports::plan_terms& plan,
                                       ports::upgrade_commit& commit);

  plan_ports ports_;
};

}  // namespace kemas::worker
