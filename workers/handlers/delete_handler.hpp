#pragma once
// The `delete` command (domain/commands/delete_file.hpp; issue 4 "Worker rules"): one
// transaction soft-deletes the owner's file, lowers used_bytes, unlocks files that fit again,
// records the command and appends file.deleted; the object is removed only after the commit
// (a few attempts, logged on failure). Idempotent: a file already deleted, someone else's
// file, or a command seen before changes nothing.
// Results: done; retry on transient database faults; reject for a malformed payload.
//
// Threading: apply() blocks; it runs on worker handler threads, concurrently.

#include "workers/handlers/handler.hpp"
#include "workers/handlers/file_ports.hpp"

namespace kemas::worker {

class delete_handler final : public typed_handler<commands::delete_file> {
 public:
  explicit delete_handler(file_ports ports) : ports_(std::move(ports)) {}

 private:
  handler_result apply(const commands::envelope& envelope,
                       const commands::delete_file& request) override;

  file_ports ports_;
};

}  // namespace kemas::worker
