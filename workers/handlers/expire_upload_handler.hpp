#pragma once
// The `expire-upload` command (domain/commands/expire_upload.hpp; issue 17 "tus"). The api
// publishes it through the delay queues before it stores a tus upload; it arrives at (or a
// bounded moment after) due_at. For each:
//   1. the worker's clock is before due_at: re-delayed for the time left and acked;
//   2. one transaction (tus_command_store::expire_upload) removes the upload once the
//      DATABASE's clock has passed its expires_at, releases its quota reservation, makes the
//      object cleaner's claim on its key due, writes upload.expired and records the command;
//      not due (or its commit on its way) -> re-delayed, nothing written; no such upload
//      (committed, terminated, never stored) -> recorded, nothing else;
//   3. after the commit, its parts are freed on S3 (object_store::discard_multipart). A
//      failure is logged and left to the object cleaner, whose claim is due now.
// Results: done; retry on transient PostgreSQL faults or a failed re-delay; reject
// (dead-letter) for a malformed payload.
//
// Threading: apply() blocks; it runs on worker handler threads, concurrently.

#include <chrono>
#include <functional>
#include <memory>

#include "domain/ports/command_scheduler.hpp"
#include "domain/ports/object_store.hpp"
#include "domain/ports/tus_command_store.hpp"
#include "workers/handlers/handler.hpp"

namespace kemas::worker {

struct tus_ports {
  std::shared_ptr<ports::tus_command_store> store;
  std::shared_ptr<ports::object_store> objects;
  std::shared_ptr<ports::command_scheduler> scheduler;
  std::function<timestamp()> now = [] {
    return std::chrono::time_point_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now());
  };
};

class expire_upload_handler final : public typed_handler<commands::expire_upload> {
 public:
  explicit expire_upload_handler(tus_ports ports) : ports_(std::move(ports)) {}

 private:
  handler_result apply(const commands::envelope& command,
                       const commands::expire_upload& expire) override;
  handler_result redelay(const commands::envelope& command, timestamp due_at) const;

  tus_ports ports_;
};

}  // namespace kemas::worker
