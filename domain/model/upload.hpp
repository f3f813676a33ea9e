#pragma once
// An upload: the api creates it pending once the body is stored, the worker settles it
// (committed with its file, or rejected with a reason), and GET /uploads/{id} shows it.
// Rejection reasons are an enum with one mapping to the client's error: the worker writes
// them (uploads.reason, upload.rejected), the api reads them back and answers with it.

#include <optional>
#include <string_view>

#include "domain/result.hpp"
#include "domain/rfc3339.hpp"
#include "domain/uuid.hpp"

namespace kemas::model {

enum class upload_state { pending, committed, rejected };

std::string_view to_string(upload_state state) noexcept;  // "pending", "committed", "rejected"
std::optional<upload_state> upload_state_from(std::string_view name) noexcept;

enum class rejection_reason {
  too_large,          // over the plan's max file size (checked by the worker, in the commit)
  name_taken,         // a live file of the owner has the name
  quota_exceeded,     // does not fit the quota in force
  checksum_mismatch,  // an inline body whose size or SHA-256 is not what the command says
  object_missing,     // the streamed object is not at its key, or has another size
  not_queued,         // the api could not queue the command (RabbitMQ did not confirm)
  abandoned,          // still pending after upload.abandon_after (its api stopped mid-way)
  unknown,            // a reason this build does not know (written by a newer one)
};

// The stored name: "too_large", "name_taken", ...; "unknown" for unknown.
std::string_view to_string(rejection_reason reason) noexcept;
// unknown for anything else.
rejection_reason rejection_reason_from(std::string_view name) noexcept;

// The error a client gets for an upload rejected for `reason` (the HTTP layer maps it to
// 413, 409 name_taken, 507 quota_exceeded, 503, 500).
error rejection_error(rejection_reason reason);

struct upload {
  uuid id;
  upload_state state = upload_state::pending;
  std::optional<rejection_reason> reason;  // rejected only
  std::optional<uuid> file_id;             // committed only
  timestamp created_at{};
};

}  // namespace kemas::model
