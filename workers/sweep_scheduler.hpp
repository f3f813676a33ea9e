#pragma once
// The scheduler role (issue 5 "Sweep as safety net"): `kemas-worker --role scheduler`.
//
// Every expiry.sweep_interval it claims the interval's slot,
//   slot = floor(epoch time / sweep_interval)
// in table sweep_slots (INSERT ... ON CONFLICT DO NOTHING, in a transaction that stays open
// until the sweep is published). Only the scheduler whose row was inserted publishes
// `expire-sweep` {"slot": slot} (its id derived from interval and slot), and commits only
// once the broker confirmed it; a failed publish rolls the claim back, so another scheduler
// (or this one's next try within the same slot) can still take it. Several schedulers on
// any number of machines therefore publish one sweep per interval; a scheduler that ran the
// confirm but lost the commit may let a second copy of the same sweep (same id) through,
// which only republishes idempotent expire commands.
// It also samples the depth of every kemas queue (workers/queue_probe.hpp) into
// kemas_queue_messages, every sweep_interval or 10 s, whichever is shorter.
//
// Threading: one thread of its own runs the loop; blocking calls (PostgreSQL, publisher
// confirms, passive declares) happen only there. Faults (database or broker down) are
// logged and retried a second later within the same slot; they never stop the role.

#include "workers/roles.hpp"

#include <memory>

namespace kemas::config {
struct settings;
}

namespace kemas::worker {

class worker_metrics;

// `settings` and `metrics` must outlive the role. Starts its thread and returns; stop()
// ends the loop (an operation in progress finishes within its own timeout) and joins.
std::unique_ptr<running_role> make_scheduler_role(const config::settings& settings,
                                                  worker_metrics& metrics);

}  // namespace kemas::worker
