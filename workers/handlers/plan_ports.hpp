#pragma once
// The ports of the plan command handlers (upgrade, expire, expire-sweep): the database, the
// command scheduler (to publish expire commands, now or through the delay queues), the
// payment provider, a counter of expiry outcomes and a clock.
//
// Threading: handlers block on these from worker handler threads; every member is safe to
// share between them.

#include <chrono>
#include <functional>
#include <memory>
#include <string_view>

#include "domain/ports/command_scheduler.hpp"
#include "domain/ports/payment_provider.hpp"
#include "domain/ports/plan_command_store.hpp"

namespace kemas::worker {

struct plan_ports {
  std::shared_ptr<ports::plan_command_store> store;
  std::shared_ptr<ports::command_scheduler> scheduler;
  std::shared_ptr<ports::payment_provider> payments;
  // Counts an expire's outcome (downgraded, not_due, renewed, already_free); may be empty.
  std::function<void(std::string_view outcome)> count_expiry;
  // The worker's wall clock, for "has this expire's due time come" before any query.
  std::function<timestamp()> now = [] {
    return std::chrono::time_point_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now());
  };
};

}  // namespace kemas::worker
