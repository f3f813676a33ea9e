#pragma once
// tus_store: resumable uploads as kemas records them (schemas/migrations/0008_tus_uploads.sql;
// issue 17). The api creates an upload with its quota reserved, a PATCH takes it over with a
// fencing token and records its progress under that token, and the last PATCH hands it to
// the `upload` command (the worker's commit removes it and turns the reservation into use).
// Contract as upload_store.hpp: owner scoping on every call (another user's upload is
// not_found); PostgreSQL faults throw kemas::backend_unavailable. Implemented by
// adapters/postgres (tus_repository) and in memory for unit tests.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/model/plan.hpp"
#include "domain/model/tus_upload.hpp"
#include "domain/ports/async.hpp"
#include "domain/result.hpp"

namespace kemas::ports {

// What a creation is checked against before anything is written, in one read.
struct tus_admission {
  model::storage_limits storage;  // used_bytes counts the reservations of running uploads
  bool name_taken = false;
  std::uint64_t open_uploads = 0;  // the owner's unfinished tus uploads
};

struct tus_draft {
  uuid id;  // chosen by the caller: its expiry command names it before it is stored
  uuid owner_id;
  uuid file_id;
  std::string object_key;
  std::string name;
  std::string content_type;
  std::string metadata;
  std::optional<std::uint64_t> length;
  timestamp expires_at{};
};

// A PATCH's view of the upload it took over.
struct tus_writer_state {
  model::tus_upload upload;
  std::int64_t fence = 0;   // the token every write of this PATCH names
  int first_part = 1;       // the part numbers reserved for this PATCH start here...
  int part_count = 0;       // ...and this many are reserved
  std::optional<std::string> multipart_upload_id;
  std::string sha256_state;  // the digest's saved midstate after `offset` bytes; empty at 0
  std::string tail;          // bytes after the last part (already counted in `offset`)
  std::uint64_t room_bytes = 0;  // quota left for a deferred length (reservations counted)
  std::uint64_t max_file_bytes = 0;
};

// Progress a PATCH makes durable: parts S3 acknowledged, then where the upload stands.
struct tus_progress {
  std::vector<model::tus_part> parts;  // new parts, ascending
  std::uint64_t offset = 0;
  std::string sha256_state;
  std::string tail;
  // Set by a PATCH's last record: the first reserved part number it did not use. The rest of
  // its reservation goes back, so a resumed upload (each PATCH reserves what its body could
  // fill: with no Content-Length, up to the plan's max file size) does not run out of S3's
  // 10,000 part numbers after a few interrupted PATCHes. 0 keeps the reservation.
  int unused_from = 0;
};

// Why a take-over found nothing to write.
enum class tus_refusal { none, missing, expired, offset_mismatch, completing };

class tus_store {
 public:
  virtual ~tus_store() = default;

  virtual async<result<tus_admission>> admission(uuid owner, std::string name) = 0;

  // Stores the upload and reserves its length from the quota in force, atomically: uploads
  // created side by side by one owner serialise on the owner's row, so together they never
  // reserve past the quota. quota_exceeded when the length (or the plan's limits) do not fit.
  // (upload.tus_max_open is checked against admission()'s count before.)
  virtual async<result<model::tus_upload>> create(tus_draft draft) = 0;

  // HEAD: the upload, or — once it became a file — its final state (offset == length).
  virtual async<result<model::tus_upload>> find(uuid owner, uuid upload_id) = 0;

  // Takes the upload over for one PATCH at `client_offset`: raises the fencing token and
  // reserves the part numbers a body of at most `max_body` bytes can fill (`part_size` each).
  // The refusal says why nothing was taken.
  virtual async<result<tus_writer_state>> take_over(uuid owner, uuid upload_id,
                                                    std::uint64_t client_offset,
                                                    std::uint64_t max_body,
                                                    std::uint64_t part_size) = 0;

  // Upload-Length arrives on a deferred upload: reserved like create(). quota_exceeded,
  // payload_too_large, or conflict when a length is already set.
  virtual async<result<void>> declare_length(uuid owner, uuid upload_id, std::int64_t fence,
                                             std::uint64_t length) = 0;

  // The multipart upload S3 opened for this upload, recorded with the object cleaner's claim
  // on its key (due at `abandon_at`) before its first part is sent. False when fenced out.
  virtual async<bool> set_multipart(uuid owner, uuid upload_id, std::int64_t fence,
                                    std::string object_key, std::string multipart_upload_id,
                                    timestamp abandon_at) = 0;

  // Records progress under `fence`, in one statement. False when a newer PATCH took over.
  virtual async<bool> record(uuid upload_id, std::int64_t fence, tus_progress progress) = 0;

  // Every part recorded so far, ascending (CompleteMultipartUpload's list).
  virtual async<std::vector<model::tus_part>> parts(uuid upload_id) = 0;

  // The last byte is in: marks the upload completing and creates its pending `uploads` row
  // (same id), under `fence`. False when fenced out.
  virtual async<bool> start_commit(uuid owner, uuid upload_id, std::int64_t fence) = 0;

  // DELETE (termination): removes the upload and releases its reservation, scheduling its
  // object's removal (a PATCH still writing finds no row to record into). Returns what S3 still holds (the multipart upload and
  // its parts) for the caller to free; not_found when there is nothing to end.
  struct terminated {
    std::string object_key;
    std::optional<std::string> multipart_upload_id;
    std::vector<model::tus_part> parts;
  };
  virtual async<result<terminated>> terminate(uuid owner, uuid upload_id) = 0;
};

}  // namespace kemas::ports
