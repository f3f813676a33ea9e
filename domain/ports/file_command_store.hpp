#pragma once
// file_command_store: the database side of the `upload` and `delete` commands. Every call is
// ONE transaction and blocks (handler threads only). Implemented by
// adapters/postgres/file_command_store (all the SQL) and in memory for unit tests.
//
// Exactness: usage changes only inside commit_upload / delete_file, through a conditional
// update (used + n <= the quota of the plan in force) in the transaction that inserts or
// deletes the file, so concurrent uploads of one owner can never overshoot the quota.
// Idempotency: the upload is locked first; a command whose upload is no longer pending, or
// whose id was processed before, changes nothing.
//
// Faults: a transient database fault (unreachable, timeout, serialization) throws
// kemas::backend_unavailable — retry later; any other exception means the command cannot
// succeed (or a bug). Either way the transaction was rolled back.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "domain/commands/delete_file.hpp"
#include "domain/commands/upload.hpp"
#include "domain/model/upload.hpp"

namespace kemas::ports {

struct upload_commit {
  enum class kind {
    committed,        // file row, usage, upload committed, command recorded, file.uploaded
    refused,          // a rule said no (`reason`); NOTHING was written: record_rejection next
    already_settled,  // the upload is committed or rejected already (a redelivery)
    no_upload,        // no upload with that id (or it belongs to someone else)
  };
  kind what = kind::committed;
  model::rejection_reason reason = model::rejection_reason::unknown;  // refused only
};

// One member of a group of `upload` commands committed together (commit_uploads).
struct upload_member {
  const commands::envelope* envelope = nullptr;
  const commands::upload* upload = nullptr;
};

struct rejection_record {
  bool recorded = false;       // false: the upload was settled already (or has no row)
  bool object_in_use = false;  // a file points at the object key: never delete it
};

// Object removal is a durable intent (object_cleanup, 0006_object_cleanup.sql): the calls
// that let go of an object schedule its removal in their own transaction; the handler then
// removes it at once and calls removal_done(), and when that fails the object cleaner
// (workers/object_cleaner.hpp) retries until S3 confirms.

struct file_deletion {
  bool deleted = false;  // false: nothing to do (already deleted, not the owner's, no file)
  std::string object_key;
  std::string name;
  std::int64_t size = 0;
  std::size_t unlocked = 0;  // locked files of the owner that fit again
};

class file_command_store {
 public:
  virtual ~file_command_store() = default;

  // True when the command id was processed (committed, rejected or found nothing to do).
  virtual bool processed(const std::string& command_id) = 0;
  // The same for several commands in one statement: result i is command_ids[i]'s.
  virtual std::vector<bool> processed_among(std::span<const std::string> command_ids) = 0;

  // Under the upload's and the owner's row locks: the plan's max file size (too_large), a
  // file row (name_taken), the conditional usage update (quota_exceeded), the upload
  // committed, the command recorded, file.uploaded appended, and the api's claim on a
  // streamed object (upload_store::hold_object) forgotten: the file owns it now.
  virtual upload_commit commit_upload(const commands::envelope& envelope,
                                      const commands::upload& upload) = 0;

  // Group commit: commit_upload for every member in ONE transaction, result i member i's.
  // The members are applied one after another in owner order (the store sorts them, so two
  // groups lock owners in the same order), each deciding against the writes of those before
  // it, so the outcomes are those of the same commands committed singly in that order; a
  // refused member writes nothing and does not affect the others. Throws as commit_upload
  // does; then nothing of the group was written and the caller may commit members one by one.
  virtual std::vector<upload_commit> commit_uploads(std::span<const upload_member> group) = 0;

  // Marks the upload rejected with `reason` (if still pending), records the command and
  // appends upload.rejected. Also says whether a live file references the object key, and
  // schedules the object's removal when none does.
  virtual rejection_record record_rejection(const commands::envelope& envelope,
                                            const commands::upload& upload,
                                            model::rejection_reason reason) = 0;

  // Schedules the removal of `object_key` unless a live file references it; true when
  // scheduled (the object is garbage: remove it, then removal_done).
  virtual bool release_object(const std::string& object_key) = 0;

  // The object is gone from the bucket: forgets its scheduled removal.
  virtual void removal_done(const std::string& object_key) = 0;

  // Soft-deletes the owner's file, lowers usage, unlocks locked files that fit again (oldest
  // first), records the command, appends file.deleted and schedules the object's removal.
  // Touches no object: the caller removes it after this returns.
  virtual file_deletion delete_file(const commands::envelope& envelope,
                                    const commands::delete_file& request) = 0;
};

}  // namespace kemas::ports
