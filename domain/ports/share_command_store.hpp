#pragma once
// share_command_store: the worker's transaction for a share link's end (the `expire-share`
// command, domain/commands/expire_share.hpp). Implemented by adapters/postgres
// (share_command_store) and in memory for unit tests.
//
// Blocking, for worker handler threads; thread-safe. PostgreSQL faults throw
// kemas::backend_unavailable (the handler retries).

#include <chrono>

#include "domain/commands/envelope.hpp"
#include "domain/commands/expire_share.hpp"

namespace kemas::ports {

struct share_expiry {
  enum class kind {
    removed,            // the row is gone, share.expired written, the command recorded
    not_due,            // the DATABASE's clock has not reached expires_at: nothing written
    missing,            // no such link (never stored, or removed before): the command recorded
    already_processed,  // a copy of this command committed earlier: nothing written
  };
  kind what = kind::missing;
  std::chrono::milliseconds remaining{0};  // not_due: how long until expires_at
};

class share_command_store {
 public:
  virtual ~share_command_store() = default;
  // In one transaction: removes link command.share_id once its expires_at has passed, with a
  // share.expired event (owner, file, downloads, whether it had been revoked), and records the
  // command id.
  virtual share_expiry expire_share(const commands::envelope& envelope,
                                    const commands::expire_share& command) = 0;
};

}  // namespace kemas::ports
