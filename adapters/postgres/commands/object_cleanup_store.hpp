#pragma once
// ports::object_cleanup_store over PostgreSQL: the object cleaner's two transactions, every
// statement a named constant in object_cleanup_store.cpp. Blocks: the cleaner's thread only.
// Transient faults throw kemas::backend_unavailable (query.hpp).

#include <memory>

#include "domain/ports/object_cleanup_store.hpp"

namespace kemas::postgres {

class pg_pool;

class object_cleanup_store final : public ports::object_cleanup_store {
 public:
  explicit object_cleanup_store(std::shared_ptr<pg_pool> pool) : pool_(std::move(pool)) {}

  ports::cleanup_claim claim(const ports::cleanup_policy& policy) override;
  void finish(const std::vector<std::string>& removed,
              const std::vector<std::pair<std::string, std::string>>& failed) override;

 private:
  std::shared_ptr<pg_pool> pool_;
};

}  // namespace kemas::postgres
