#pragma once
// ports::share_command_store over PostgreSQL: the expire-share transaction. Each call borrows
// a pool session and blocks: worker handler threads only. Transient faults throw
// kemas::backend_unavailable (query.hpp); others propagate as they are.
//
// Budget: BEGIN, the processed check, the conditional DELETE, the event, the record, COMMIT
// (6); a link not due yet costs one more statement to learn how long is left.

#include <memory>

#include "domain/ports/share_command_store.hpp"

namespace kemas::postgres {

class pg_pool;

class share_command_store final : public ports::share_command_store {
 public:
  explicit share_command_store(std::shared_ptr<pg_pool> pool) : pool_(std::move(pool)) {}

  ports::share_expiry expire_share(const commands::envelope& envelope,
                                   const commands::expire_share& command) override;

 private:
  std::shared_ptr<pg_pool> pool_;
};

}  // namespace kemas::postgres
