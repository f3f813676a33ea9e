#pragma once
// The `delete` command (issue 4 "Worker rules"): one transaction soft-deletes the owner's
// file, lowers used_bytes, records the command and appends file.deleted; the S3 object is
// removed only after the commit (best effort, logged on failure). Idempotent: a file
// already deleted, someone else's file, or a command seen before changes nothing.
// Results: done; retry on transient PostgreSQL faults; reject for a malformed payload.
//
// Threading: handle() blocks; it runs on worker handler threads, concurrently.

#include "workers/handler_registry.hpp"
#include "workers/handlers/file_ports.hpp"

namespace kemas::worker {

class delete_handler final : public command_handler {
 public:
  explicit delete_handler(file_ports ports) : ports_(std::move(ports)) {}
  handler_result handle(const domain::command_envelope& command) override;

 private:
  file_ports ports_;
};

}  // namespace kemas::worker
