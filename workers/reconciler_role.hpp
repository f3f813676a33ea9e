#pragma once
// The reconciler role: `kemas-worker --role reconciler`. Every worker.reconcile_interval (and
// once at start) it compares the bucket with the files table (workers/reconciler.hpp):
// orphaned objects older than worker.reconcile_grace are quarantined (their removal scheduled
// worker.reconcile_quarantine later, done by the commands role's object cleaner), live files
// without an object are reported. The last run's counts are metrics:
//   kemas_reconcile_objects{kind=listed|live_files|orphans|young|missing}  (gauges)
//   kemas_reconcile_quarantined_total, kemas_reconcile_runs_total{outcome=ok|failed},
//   kemas_reconcile_last_success_timestamp_seconds
// One reconciler per deployment is enough; several only repeat the same idempotent work.
//
// Threading: one thread of its own; stop() wakes it and joins (a run in progress finishes).

#include "workers/roles.hpp"

#include <memory>

namespace kemas::config {
struct settings;
}

namespace kemas::metrics {
class registry;
}

namespace kemas::worker {

// `settings` and `registry` must outlive the role.
std::unique_ptr<running_role> make_reconciler_role(const config::settings& settings,
                                                   metrics::registry& registry);

}  // namespace kemas::worker
