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
// Group commit (worker.group_size > 1): the dispatcher hands over the expire commands that
// wait together, and those that are due and name different accounts go to the store in ONE
// transaction (plan_command_store::apply_expiries: set-based statements over the group, one
// plan.expired per downgraded account, each command recorded). The rest — not due yet, a
// repeated account, a payload the codec refuses — go the single path. When the group's
// transaction fails, every member is applied alone, so one poisoned member fails only itself.
//
// Threading: apply() blocks; it runs on worker handler threads, concurrently.

#include "workers/handlers/handler.hpp"
#include "workers/handlers/plan_ports.hpp"

namespace kemas::worker {

class expire_handler final : public typed_handler<commands::expire> {
 public:
  expire_handler(plan_ports ports, std::size_t group_limit = 1)
      : ports_(std::move(ports)), group_limit_(group_limit == 0 ? 1 : group_limit) {}

  std::size_t group_limit() const noexcept override { return group_limit_; }
  std::vector<handler_result> handle_group(std::span<const commands::envelope> commands) override;

 private:
  handler_result apply(const commands::envelope& command, const commands::expire& expire) override;
  // What a committed (or skipped) expiry means for the message, logged and counted.
  handler_result conclude(const commands::envelope& command, const commands::expire& expire,
                          const ports::expiry_commit& commit, timestamp now);
  handler_result redelay(const commands::envelope& command, timestamp due_at,
                         timestamp now) const;
  void count(std::string_view outcome) const;

  plan_ports ports_;
  std::size_t group_limit_;
};

}  // namespace kemas::worker
