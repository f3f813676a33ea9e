#pragma once
// The PostgreSQL side of the `upload` and `delete` commands: each function is ONE
// transaction on the caller's session (call it on a pg_pool thread, e.g. inside
// pg_pool::with_session). SQL lives in file_store_tx.cpp as named constants.
//
// Exactness: usage changes only here, through a single conditional UPDATE
// (used_bytes + n <= the plan's quota) inside the transaction that inserts the file, so
// concurrent uploads of one owner can never overshoot the quota.
// Idempotency: the uploads row is locked first; a command whose upload is no longer
// pending, or whose id is in processed_commands, changes nothing.
//
// Errors: database failures propagate as SOCI exceptions (classify them with
// adapters/postgres/errors.hpp); the transaction is rolled back on the way out.

#include "domain/command.hpp"
#include "workers/handlers/file_payloads.hpp"

#include <cstdint>
#include <string>

namespace soci {
class session;
}

namespace kemas::worker {

struct upload_commit {
  enum class kind {
    committed,       // file row, usage, upload committed, processed_commands, file.uploaded
    refused,         // a rule said no (reason set); NOTHING was written: record_rejection next
    already_settled, // the upload is committed or rejected already (a redelivery)
    no_upload,       // no uploads row with that id (or it belongs to someone else)
  };
  kind what = kind::committed;
  std::string reason;  // refused: too_large | name_taken | quota_exceeded
};

upload_commit commit_upload(soci::session& sql, const domain::command_envelope& command,
                            const upload_payload& upload);

struct rejection_record {
  bool recorded = false;        // false: the upload was settled already (or has no row)
  bool object_in_use = false;   // a files row points at the object key: never delete it
};

// Marks the upload rejected with `reason`, records the command (outcome rejected) and
// appends upload.rejected. Also reports whether the object key belongs to a file.
rejection_record record_rejection(soci::session& sql, const domain::command_envelope& command,
                                  const upload_payload& upload, const std::string& reason);

// True when a files row (in any state) references `object_key`.
bool object_in_use(soci::session& sql, const std::string& object_key);

// True when processed_commands holds `command_id`.
bool command_processed(soci::session& sql, const std::string& command_id);

struct file_deletion {
  bool deleted = false;  // false: nothing to do (already deleted, not the owner's, no file)
  std::string object_key;
  std::string name;
  std::int64_t size = 0;
};

// Soft-deletes the owner's file, lowers used_bytes, records the command and appends
// file.deleted. Does not touch S3: the caller removes the object after this commits.
file_deletion delete_file(soci::session& sql, const domain::command_envelope& command,
                          const delete_payload& request);

}  // namespace kemas::worker
