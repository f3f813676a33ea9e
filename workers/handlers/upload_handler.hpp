#pragma once
// The `upload` command (domain/commands/upload.hpp; issue 4 "Worker rules"). For each:
//   1. processed already -> done, nothing happens twice;
//   2. the body: inline -> PUT to the object key (size and SHA-256 checked first, else
//      rejected: checksum_mismatch); streamed by the api -> its size must match (else
//      rejected: object_missing);
//   3. one transaction (file_command_store::commit_upload): the plan's max file size
//      (too_large), the file row (name_taken), the conditional usage update
//      (quota_exceeded), upload committed, command recorded, file.uploaded;
//   4. a refusal is recorded in its own transaction (upload rejected with the reason,
//      command recorded, upload.rejected), and only then is the object deleted (unless a
//      file row points at it).
// Results: done; retry on transient database / S3 faults; reject (dead-letter) for a
// malformed payload or an upload that does not exist.
//
// Threading: apply() blocks; it runs on worker handler threads, concurrently.

#include "workers/handlers/handler.hpp"
#include "workers/handlers/file_ports.hpp"

namespace kemas::worker {

class upload_handler final : public typed_handler<commands::upload> {
 public:
  explicit upload_handler(file_ports ports) : ports_(std::move(ports)) {}

 private:
  handler_result apply(const commands::envelope& envelope, const commands::upload& upload) override;

  file_ports ports_;
};

}  // namespace kemas::worker
