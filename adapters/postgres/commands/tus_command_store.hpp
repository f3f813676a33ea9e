#pragma once
// ports::tus_command_store over PostgreSQL: the expire-upload transaction. Each call borrows
// a pool session and blocks: worker handler threads only. Transient faults throw
// kemas::backend_unavailable (query.hpp); others propagate as they are.
//
// Budget: BEGIN, the processed check, the parts, the conditional DELETE, the reservation,
// the cleaner's claim, the event, the record, COMMIT (9); an upload not due yet costs one
// more statement to learn how long is left.

#include <memory>

#include "domain/ports/tus_command_store.hpp"

namespace kemas::postgres {

class pg_pool;

class tus_command_store final : public ports::tus_command_store {
 public:
  explicit tus_command_store(std::shared_ptr<pg_pool> pool) : pool_(std::move(pool)) {}

  ports::tus_expiry expire_upload(const commands::envelope& envelope,
                                  const commands::expire_upload& command) override;

 private:
  std::shared_ptr<pg_pool> pool_;
};

}  // namespace kemas::postgres
