#pragma once
// ports::plan_command_store over PostgreSQL: the upgrade, expire and expire-sweep
// transactions. Every statement is in plan_command_store.cpp as a named constant. Each call
// borrows a pool session and blocks: worker handler threads only. Transient faults throw
// kemas::backend_unavailable (query.hpp); others propagate as they are.

#include <memory>

#include "domain/ports/plan_command_store.hpp"

namespace kemas::postgres {

class pg_pool;

class plan_command_store final : public ports::plan_command_store {
 public:
  explicit plan_command_store(std::shared_ptr<pg_pool> pool) : pool_(std::move(pool)) {}

  ports::upgrade_start start_upgrade(const commands::envelope& envelope,
                                     const commands::upgrade& upgrade) override;
  ports::upgrade_commit pay_order(const commands::envelope& envelope,
                                  const commands::upgrade& upgrade, const ports::plan_terms& plan,
                                  const std::string& payment_reference) override;
  ports::upgrade_commit fail_order(const commands::envelope& envelope,
                                   const commands::upgrade& upgrade, const ports::plan_terms& plan,
                                   const std::string& reason) override;
  ports::assignment_commit assign_plan(const commands::envelope& envelope,
                                       const commands::assign_plan& assignment) override;
  ports::expiry_commit apply_expiry(const commands::envelope& envelope,
                                    const commands::expire& expire) override;
  std::vector<ports::expiry_commit> apply_expiries(
      std::span<const ports::expiry_member> group) override;
  ports::sweep_start start_sweep(const std::string& command_id) override;
  std::vector<ports::due_account> due_accounts(std::int64_t cutoff_us,
                                               const std::optional<ports::due_account>& after,
                                               std::size_t limit) override;
  void record(const std::string& command_id, std::string_view outcome) override;

 private:
  std::shared_ptr<pg_pool> pool_;
};

}  // namespace kemas::postgres
