#pragma once
// ports::sweep_slots over PostgreSQL (table sweep_slots): the claim is an INSERT keyed by the
// slot, the publish runs while it is uncommitted, old claims are pruned by the winner.
// Blocking: the scheduler role's thread. Never throws: a database fault is `failed`.

#include <memory>

#include "domain/ports/sweep_slots.hpp"

namespace kemas::postgres {

class pg_pool;

class sweep_slots final : public ports::sweep_slots {
 public:
  explicit sweep_slots(std::shared_ptr<pg_pool> pool) : pool_(std::move(pool)) {}

  ports::slot_claim claim(std::int64_t slot, const std::string& claimed_by,
                          const std::function<bool()>& publish) override;

 private:
  std::shared_ptr<pg_pool> pool_;
};

}  // namespace kemas::postgres
