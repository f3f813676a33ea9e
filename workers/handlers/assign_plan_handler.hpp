#pragma once
// The `assign-plan` command (domain/commands/assign_plan.hpp): an admin puts an account on a
// plan. One transaction (plan_command_store::assign_plan) sets plan and end, locks or unlocks
// files to fit the plan's quota and emits user.plan_changed; after the commit, a plan with an
// end gets its `expire` scheduled through the delay queues, as an upgrade's does (a retried
// or redelivered command that finds itself processed schedules it again: at least once, and
// expire is idempotent). An end already past is expired by that expire at once.
// Results: done; retry on transient database faults or a failed schedule; reject
// (dead-letter) for a malformed payload, an account or a plan that does not exist.
//
// Threading: apply() blocks; it runs on worker handler threads, concurrently.

#include "workers/handlers/handler.hpp"
#include "workers/handlers/plan_ports.hpp"

namespace kemas::worker {

class assign_plan_handler final : public typed_handler<commands::assign_plan> {
 public:
  explicit assign_plan_handler(plan_ports ports) : ports_(std::move(ports)) {}

 private:
  handler_result apply(const commands::envelope& envelope,
                       const commands::assign_plan& assignment) override;

  plan_ports ports_;
};

}  // namespace kemas::worker
