#pragma once
// The `upload` command (domain/commands/upload.hpp; issue 4 "Worker rules"). For each:
//   1. processed already -> done, nothing happens twice. Asked of the database only for a
//      delivery that may have been seen before (delivery_facts): on a first delivery the
//      answer is no, unless the api published the command twice, and then step 3 decides
//      anyway — the upload is no longer pending (already_settled), and step 4 frees the
//      object unless a live file has it. A round trip and a statement per group saved;
//      a duplicate costs one more PUT of the same bytes;
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
// Group commit (worker.group_size > 1): the dispatcher hands over the upload commands that
// wait together, and the group takes the same steps with one call each: one processed check
// (processed_among), the bodies stored at once (object_store::put_all), one transaction for
// every commit (file_command_store::commit_uploads). A group of k committed uploads costs the
// worker 2 statements instead of 2k. When the group's commit fails, each member is committed
// alone (its body is in place already), so a poisoned member fails only itself; refusals are
// recorded one by one as in 4. Each member keeps its own result, settled (acked) after the
// commit.
//
// Threading: apply() and handle_group() block; they run on worker handler threads,
// concurrently.

#include "workers/handlers/handler.hpp"
#include "workers/handlers/file_ports.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace kemas::worker {

class upload_handler final : public typed_handler<commands::upload> {
 public:
  explicit upload_handler(file_ports ports, std::size_t group_limit = 1)
      : ports_(std::move(ports)), group_limit_(group_limit == 0 ? 1 : group_limit) {}

  std::size_t group_limit() const noexcept override { return group_limit_; }
  // Without delivery facts every member counts as possibly seen before (checked).
  std::vector<handler_result> handle_group(std::span<const commands::envelope> commands) override;
  std::vector<handler_result> handle_deliveries(std::span<const commands::envelope> commands,
                                                std::span<const delivery_facts> facts) override;

  // Where a command's time went (microseconds), for its log line; a group's members share
  // their group's figures.
  struct step_times {
    std::int64_t check_us = 0;
    std::int64_t object_us = 0;
    std::int64_t commit_us = 0;
    std::size_t group = 1;
  };

 private:
  handler_result apply(const commands::envelope& envelope, const commands::upload& upload) override {
    return apply_delivered(envelope, upload, delivery_facts{});
  }
  handler_result apply_delivered(const commands::envelope& envelope,
                                 const commands::upload& upload,
                                 const delivery_facts& facts) override;
  // Step 3 for one command whose body is in place, in a transaction of its own.
  handler_result commit_alone(const commands::envelope& envelope, const commands::upload& upload,
                              step_times times);
  // What a commit's outcome means for the message (step 4 for a refusal).
  handler_result conclude(const commands::envelope& envelope, const commands::upload& upload,
                          const ports::upload_commit& commit, const step_times& times);
  // Step 4: records the refusal (or, reason-less, that another copy settled it) and frees
  // the object unless a file row points at it.
  handler_result settle_refusal(const commands::envelope& envelope,
                                const commands::upload& upload,
                                std::optional<model::rejection_reason> reason);

  file_ports ports_;
  std::size_t group_limit_;
};

}  // namespace kemas::worker
