#pragma once
// What the plan command handlers (upgrade, expire, expire-sweep) share: the PostgreSQL pool,
// the command scheduler (to publish expire commands, now or through the delay queues), the
// payment provider, the worker's metrics and a clock.
//
// Threading: handlers block on these from worker handler threads; every member is safe to
// share between them. `metrics` may be null (tests); it must outlive the handlers.

#include "adapters/postgres/pool.hpp"
#include "domain/command.hpp"
#include "workers/billing/payment_provider.hpp"
#include "workers/command_scheduler.hpp"

#include <chrono>
#include <functional>
#include <memory>

namespace kemas::worker {

class worker_metrics;

struct plan_ports {
  std::shared_ptr<postgres::pg_pool> db;
  std::shared_ptr<command_scheduler> scheduler;
  std::shared_ptr<billing::payment_provider> payments;
  worker_metrics* metrics = nullptr;
  // The worker's wall clock, for "has this expire's due time come" before any query.
  std::function<domain::timestamp()> now = [] {
    return std::chrono::time_point_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now());
  };
};

}  // namespace kemas::worker
