#pragma once
// The `upload` command (issue 4 "Worker rules"). For each command:
//   1. processed already (processed_commands) -> done, nothing happens twice;
//   2. the body: inline -> PUT to the object key (size and SHA-256 checked first);
//      streamed by the api -> HEAD, the size must match (else rejected: object_missing);
//   3. one transaction: lock the upload, plan's max file size (too_large), file row
//      (name_taken), conditional usage UPDATE (quota_exceeded), upload committed, command
//      recorded, file.uploaded in the outbox;
//   4. a refusal is recorded in its own transaction (upload rejected with the reason,
//      command recorded, upload.rejected), and only then the object is deleted.
// Results: done; retry on transient PostgreSQL / S3 faults; reject (dead-letter) for a
// malformed payload or an upload row that does not exist.
//
// Threading: handle() blocks; it runs on worker handler threads, concurrently.

#include "workers/handler_registry.hpp"
#include "workers/handlers/file_ports.hpp"

namespace kemas::worker {

class upload_handler final : public command_handler {
 public:
  explicit upload_handler(file_ports ports) : ports_(std::move(ports)) {}
  handler_result handle(const domain::command_envelope& command) override;

 private:
  file_ports ports_;
};

}  // namespace kemas::worker
