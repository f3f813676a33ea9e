#pragma once
// The `expire-sweep` command (domain/commands/expire_sweep.hpp; issue 5 "Sweep as safety
// net"): from the scheduler role once per interval ({"slot": n}), from kemas-admin
// expire-sweep or the internal route ({}).
// It finds every account whose plan_expires_at has passed (as of the sweep's start, so the
// walk ends even while accounts keep falling due) in keyset pages of `page_size` on
// users_plan_expires_at_idx, and publishes one `expire` per account, due at its
// plan_expires_at, each page pipelined with publisher confirms. The expire commands do the
// work (and are idempotent: their ids are derived from account and due time, so an account
// whose delayed expire already ran is a quick no-op). The sweep records its id when done: a
// redelivered sweep that finished does nothing again; one that stopped half-way starts over,
// which only republishes idempotent commands.
// Results: done; retry on transient PostgreSQL faults or when a publish was not confirmed;
// reject (dead-letter) for a malformed payload.
//
// Threading: apply() blocks; it runs on worker handler threads, concurrently.

#include "domain/commands/expire_sweep.hpp"
#include "workers/handlers/handler.hpp"
#include "workers/handlers/plan_ports.hpp"

#include <cstddef>

namespace kemas::worker {

class sweep_handler final : public typed_handler<commands::expire_sweep> {
 public:
  explicit sweep_handler(plan_ports ports, std::size_t page_size = 1000)
      : ports_(std::move(ports)), page_size_(page_size == 0 ? 1 : page_size) {}

 private:
  handler_result apply(const commands::envelope& command,
                       const commands::expire_sweep& sweep) override;

  plan_ports ports_;
  std::size_t page_size_;
};

}  // namespace kemas::worker
