#pragma once
// The `expire-share` command (domain/commands/expire_share.hpp; issue 17 "Share links"). The
// api publishes it through the delay queues before it stores a link; it arrives at (or a
// bounded moment after) due_at. For each:
//   1. the worker's clock is before due_at (a long delay is made of several bucket hops):
//      re-delayed for the time left (ports::command_scheduler) and acked;
//   2. one transaction (share_command_store::expire_share) removes the link once the
//      DATABASE's clock has passed its expires_at, writes share.expired and records the
//      command; not due by that clock -> re-delayed like 1., nothing written; no such link
//      (the api's insert never happened, or a copy removed it) -> recorded, nothing else.
// The link stopped working at due_at anyway (the public route checks the time): this only
// keeps the table from growing with dead links and writes the end into the audit trail.
// Results: done; retry on transient PostgreSQL faults or a failed re-delay; reject
// (dead-letter) for a malformed payload.
//
// Threading: apply() blocks; it runs on worker handler threads, concurrently.

#include <chrono>
#include <functional>
#include <memory>

#include "domain/ports/command_scheduler.hpp"
#include "domain/ports/share_command_store.hpp"
#include "workers/handlers/handler.hpp"

namespace kemas::worker {

struct share_ports {
  std::shared_ptr<ports::share_command_store> store;
  std::shared_ptr<ports::command_scheduler> scheduler;
  std::function<timestamp()> now = [] {
    return std::chrono::time_point_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now());
  };
};

class expire_share_handler final : public typed_handler<commands::expire_share> {
 public:
  explicit expire_share_handler(share_ports ports) : ports_(std::move(ports)) {}

 private:
  handler_result apply(const commands::envelope& command,
                       const commands::expire_share& expire) override;
  handler_result redelay(const commands::envelope& command, timestamp due_at) const;

  share_ports ports_;
};

}  // namespace kemas::worker
