#pragma once
// The `expire` command (domain/commands/expire.hpp; issue 5 "Queue-triggered expiry"). It arrives through the delay
// queues at (or a bounded moment after) its due_at, or at once from a sweep. For each:
//   1. the worker's clock is before due_at (a long delay is made of several bucket hops):
//      the same command is re-delayed for the time left (ports::command_scheduler) and acked;
//   2. one transaction (plan_command_store::apply_expiry), under the account's row lock,
//      decide_expiry (domain/expiry_policy.hpp):
//        due (plan_expires_at <= now(), the user_limits view's test) -> plan 'free',
//            plan_expires_at NULL, files over the free quota locked newest first
//            (plan_locks; nothing is deleted), plan.expired with the counts;
//        plan_expires_at later than due_at -> renewed meanwhile: nothing (its own expire
//            is on the way);
//        no expiry -> already free: nothing;
//        this very expiry but not reached by the DATABASE's clock (clocks disagree) ->
//            re-delayed like 1., nothing written.
//      The command id is recorded unless re-delayed, so a copy (a sweep's and the delayed
//      one share the id: scheduled_commands.hpp make_expire_command) does nothing twice.
// Counts kemas_plan_expiries_total{outcome=downgraded|not_due|renewed|already_free}.
// Results: done; retry on transient PostgreSQL faults or a failed re-delay; reject
// (dead-letter) for a malformed payload.
//
// Threading: apply() blocks; it runs on worker handler threads, concurrently.

#include "workers/handlers/handler.hpp"
#include "workers/handlers/plan_ports.hpp"

namespace kemas::worker {

class expire_handler final : public typed_handler<commands::expire> {
 public:
  explicit expire_handler(plan_ports ports) : ports_(std::move(ports)) {}

 private:
  handler_result apply(const commands::envelope& command, const commands::expire& expire) override;
  handler_result redelay(const commands::envelope& command, timestamp due_at,
                         timestamp now) const;
  void count(std::string_view outcome) const;

  plan_ports ports_;
};

}  // namespace kemas::worker
