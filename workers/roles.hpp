#pragma once
// The roles of kemas-worker (`--role`). start_role() starts one; the caller waits for
// SIGTERM/SIGINT and then calls stop(), which drains in-flight work within the deadline.
//
//   commands   consumes every kemas.commands.<type> queue and dispatches by envelope type;
//              also runs an outbox relay (workers/outbox_relay.hpp) publishing the outbox
//              to kemas.events, and an object cleaner (workers/object_cleaner.hpp) removing
//              the objects of deleted files and of rejected or abandoned uploads
//   audit      consumes kemas.events.audit and stores each event in audit_log, idempotent
//              by event id (workers/audit_consumer.hpp)
//   scheduler  publishes one expire-sweep per expiry.sweep_interval across all schedulers
//              (a slot claimed in sweep_slots) and samples queue depths into
//              kemas_queue_messages (workers/sweep_scheduler.hpp)
//   mailer     sends the mail notices of kemas.events (workers/mailer.hpp)
//   reconciler compares the bucket with the files table every worker.reconcile_interval:
//              quarantines orphaned objects, reports files without objects
//              (workers/reconciler_role.hpp)
// Every role declares the RabbitMQ topology on each (re)connect, and serves Prometheus
// metrics on worker.metrics_host:metrics_port (GET /metrics) when that port is not 0; the
// commands role counts its commands there (workers/worker_metrics.hpp).

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

namespace kemas::config {
struct settings;
}

namespace kemas::worker {

enum class role { commands, audit, scheduler, mailer, reconciler };

std::optional<role> role_from_string(std::string_view name) noexcept;
std::string_view to_string(role r) noexcept;

class running_role {
 public:
  virtual ~running_role() = default;
  // Stops taking work, lets in-flight work finish until `drain` passed. Returns true when
  // everything finished in time; false when handlers are still running (their messages go
  // back to the broker when the connection closes).
  virtual bool stop(std::chrono::milliseconds drain) = 0;
  // The port GET /metrics is served on; 0 when worker.metrics_port is 0.
  virtual std::uint16_t metrics_port() const noexcept { return 0; }
};

// `settings` must outlive the returned role. Connection problems are not fatal: the actors
// retry with backoff and log. Throws std::runtime_error when the metrics port cannot be
// bound, std::invalid_argument for unusable handler settings.
std::unique_ptr<running_role> start_role(role r, const config::settings& settings);

}  // namespace kemas::worker
