#pragma once
// The ports of the plan command handlers (upgrade, expire, expire-sweep): the database, the
// command scheduler (to publish expire commands, now or through the delay queues), the
// payment provider, the worker's metrics and a clock.
//
// Threading: handlers block on these from worker handler threads; every member is safe to
// share between them. `metrics` may be null (tests); it must outlive the handlers.

#include <chrono>
#include <functional>
#include <memory>

#include "domain/ports/command_scheduler.hpp"
#include "domain/ports/payment_provider.hpp"
#include "domain/ports/plan_command_store.hpp"

namespace kemas::worker {

class worker_metrics;

struct plan_ports {
  std::shared_ptr<ports::plan_command_store> store;
  std::shared_ptr<ports::command_scheduler> scheduler;
  std::shared_ptr<ports::payment_provider> payments;
  worker_metrics* metrics = nullptr;
  // The worker's wall clock, for "has this expire's due time come" before any query.
  std::function<timestamp()> now = [] {
    return std::chrono::time_point_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now());
  };
};

}  // namespace kemas::worker
