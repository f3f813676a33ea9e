#pragma once
// The `expire-sweep` command (domain/commands/expire_sweep.hpp; issue 5 "Sweep as safety
// net"): from the scheduler role once per interval ({"slot": n}), from kemas-admin
// expire-sweep or the internal route ({}).
// It finds every account whose plan_expires_at has passed (as of the sweep's start, so the
// walk ends even while accounts keep falling due) in keyset pages of `page_size` on
// users_plan_expires_at_idx. Each page becomes that many `expire` commands, due at each
// account's plan_expires_at, with the ids every other producer of them derives
// (scheduled_commands.hpp), and the page is applied at once as ONE expire group commit
// (expire_handler::handle_group: one transaction, one plan.expired event per account, each
// command id recorded). The commands are not sent through the broker first: at 100,000 due
// accounts their confirmed publishes, deliveries and acks alone cost more than the 20 s that
// issue 11 allows the whole sweep (bench/README.md, kemas_sweep_bench). A member not due by
// the worker's clock is re-delayed as a single `expire` (handle_group does that). A member
// the group refuses as poisoned (it failed alone too, not transiently) is handed over as a
// single `expire` through the scheduler, so it dead-letters alone with its reason and never
// stops the sweep. A transient fault on any member makes the sweep itself retry.
// Idempotent: an account whose delayed expire already ran is recorded as processed and is a
// no-op in the group. The sweep records its own id when done: a redelivered sweep that
// finished does nothing again; one that stopped half-way starts over.
// Results: done; retry on transient PostgreSQL faults or when a hand-over publish was not
// confirmed; reject (dead-letter) for a malformed payload.
//
// Threading: apply() blocks; it runs on worker handler threads, concurrently.

#include "domain/commands/expire_sweep.hpp"
#include "workers/handlers/expire_handler.hpp"
#include "workers/handlers/handler.hpp"
#include "workers/handlers/plan_ports.hpp"

#include <cstddef>

namespace kemas::worker {

class sweep_handler final : public typed_handler<commands::expire_sweep> {
 public:
  explicit sweep_handler(plan_ports ports, std::size_t page_size = 500)
      : ports_(ports), page_size_(page_size == 0 ? 1 : page_size), expiries_(std::move(ports)) {}

 private:
  handler_result apply(const commands::envelope& command,
                       const commands::expire_sweep& sweep) override;

  // The counts of one page, for the sweep's log line.
  struct page_outcome {
    std::size_t applied = 0;      // settled (downgraded, a no-op, or re-delayed)
    std::size_t handed_over = 0;  // poisoned: published as single expire commands
  };
  // Applies one page of due accounts; a retry result on a transient fault or when a hand-over
  // was not published.
  std::optional<handler_result> apply_page(const commands::envelope& sweep_command,
                                           const std::vector<ports::due_account>& page,
                                           page_outcome& outcome);

  plan_ports ports_;
  std::size_t page_size_;
  expire_handler expiries_;
};

}  // namespace kemas::worker
