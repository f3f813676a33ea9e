#pragma once
// ports::reconcile_store over PostgreSQL, every statement a named constant in
// reconcile_store.cpp. Blocks: the reconciler's thread or kemas-admin only.

#include <memory>

#include "domain/ports/reconcile_store.hpp"

namespace kemas::postgres {

class pg_pool;

class reconcile_store final : public ports::reconcile_store {
 public:
  explicit reconcile_store(std::shared_ptr<pg_pool> pool) : pool_(std::move(pool)) {}

  std::set<std::string> accounted(const std::vector<std::string>& keys) override;
  std::vector<std::string> live_keys(const std::string& after,
                                     const std::optional<std::string>& up_to,
                                     std::size_t limit) override;
  std::size_t quarantine(const std::vector<std::string>& keys,
                         std::chrono::milliseconds delay) override;

 private:
  std::shared_ptr<pg_pool> pool_;
};

}  // namespace kemas::postgres
