#pragma once
// upload_store: the api's side of uploads (DESIGN.md "Data": uploads), and the storage
// numbers an upload is checked against before its body is read. The worker settles an upload
// (committed or rejected); the api creates it, reads it while it waits, and rejects it itself
// only when its command could not be queued. Contract as user_store.hpp, owner scoping on
// every call. Implemented by adapters/postgres (upload_repository) and in memory.

#include <chrono>
#include <optional>
#include <string>

#include "domain/model/file.hpp"
#include "domain/model/plan.hpp"
#include "domain/model/upload.hpp"
#include "domain/ports/async.hpp"
#include "domain/result.hpp"

namespace kemas::ports {

struct upload_limits {
  model::storage_limits storage;
  bool name_taken = false;
};

// An upload as its owner sees it: the row and, once committed, its file (absent again when
// the file was deleted since).
struct upload_record {
  model::upload upload;
  std::optional<model::file> file;
};

class upload_store {
 public:
  virtual ~upload_store() = default;

  // What an upload is admitted against, in one read: the owner's usage, the limits of the
  // plan in force now, and whether one of the owner's live files has `name` (an early 409;
  // the worker's check is what decides). not_found when the user does not exist.
  virtual async<result<upload_limits>> limits(uuid owner, std::string name) = 0;

  // Records the upload as pending. Called once the body is stored, before the command.
  virtual async<void> create_pending(uuid owner, uuid upload_id) = 0;

  // Before the first byte of a streamed body reaches the store: the object at `object_key`
  // is removed (its multipart upload aborted) after `abandon_after` unless the upload commits
  // first (the worker's commit forgets it). Called again with S3's multipart upload id, it
  // records that id. Throws kemas::backend_unavailable like create_pending.
  virtual async<void> hold_object(uuid owner, uuid upload_id, std::string object_key,
                                  std::optional<std::string> multipart_upload_id,
                                  std::chrono::milliseconds abandon_after) = 0;

  // The upload failed or was refused: the held object is due for removal now.
  virtual async<void> release_object(uuid owner, std::string object_key) = 0;

  // The upload with its live file, in one read: what a waiting request answers with once
  // the worker signalled, and what GET /uploads/{id} shows.
  virtual async<result<upload_record>> find(uuid owner, uuid upload_id) = 0;

  // Marks the upload rejected for `reason` if it is still pending. Returns it as it is
  // afterwards: a worker that settled it first wins (the command was delivered after all).
  virtual async<result<model::upload>> reject_if_pending(uuid owner, uuid upload_id,
                                                         model::rejection_reason reason) = 0;
};

}  // namespace kemas::ports
