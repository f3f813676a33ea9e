#pragma once
// tus_command_store: the worker's transaction for a tus upload's end (the `expire-upload`
// command, domain/commands/expire_upload.hpp). Implemented by adapters/postgres
// (tus_command_store) and in memory for unit tests.
//
// Blocking, for worker handler threads; thread-safe. PostgreSQL faults throw
// kemas::backend_unavailable (the handler retries).

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "domain/commands/envelope.hpp"
#include "domain/commands/expire_upload.hpp"
#include "domain/model/tus_upload.hpp"

namespace kemas::ports {

struct tus_expiry {
  enum class kind {
    removed,            // the row and its reservation are gone, upload.expired written
    not_due,            // not due by the DATABASE's clock, or its commit is on its way
    missing,            // no such upload (committed, terminated, never stored): recorded
    already_processed,  // a copy of this command committed earlier: nothing written
  };
  kind what = kind::missing;
  std::chrono::milliseconds remaining{0};  // not_due: when to look again
  // removed: what S3 still holds, for the handler to free.
  std::string object_key;
  std::optional<std::string> multipart_upload_id;
  std::vector<model::tus_part> parts;
};

class tus_command_store {
 public:
  virtual ~tus_command_store() = default;
  // In one transaction: removes upload command.upload_id once its expires_at has passed
  // (and it is still taking bytes, or its commit was refused), releases its reservation,
  // makes the object cleaner's claim on its key due now, writes upload.expired and records
  // the command id.
  virtual tus_expiry expire_upload(const commands::envelope& envelope,
                                   const commands::expire_upload& command) = 0;
};

}  // namespace kemas::ports
