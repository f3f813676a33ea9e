#pragma once
// Prometheus metrics of kemas-worker's command processing (DESIGN.md "Observability"):
//
//   kemas_commands_processed_total{type, outcome}  how each delivery ended:
//       done           the handler finished and the message was acked
//       retry          the handler asked to retry: republished through a delay queue (or
//                      requeued when that copy could not be published)
//       rejected       the handler refused it for good: dead-lettered with its reason
//       dead_lettered  malformed, no handler here, or out of retry attempts
//   kemas_command_latency_seconds{type}   envelope issued_at (the api's publish) -> handler
//       done (its commit), across every retry; the wall clocks of api and worker host differ
//       by their skew, and a negative difference counts as 0
//   kemas_command_handler_seconds{type}   one handler run, whatever its result (a group's
//       time divided among its members)
//   kemas_command_group_size{type}        commands handled together in one group commit
//
// `type` is the command type ("upload", "delete", ...) or "invalid" for a message that is not
// a command envelope, so the label set stays bounded. The counters of every type and outcome
// exist from the start at 0, so rate() works from the first scrape.
//
// Plans (step 4):
//   kemas_plan_expiries_total{outcome}  what `expire` commands did: downgraded, not_due
//       (re-delayed: not due yet), renewed (a later expiry replaced it), already_free
//   kemas_sweeps_published_total        expire-sweep commands this scheduler published (one
//       per interval across all schedulers: sum it over them)
//   kemas_queue_messages{queue}         ready messages per kemas queue (commands, delay
//       buckets, dead letters), sampled by the scheduler role
//   kemas_dead_letter_oldest_age_seconds  how long the oldest dead letter has waited (0 when
//       there is none), sampled with the queues
//   kemas_outbox_unpublished, kemas_outbox_oldest_age_seconds  the outbox relay's backlog
//       (events committed, not yet on the broker), sampled with the queues
//
// Object cleanup (the commands role's object cleaner, workers/object_cleaner.hpp):
//   kemas_object_cleanup_total{outcome}  removals by outcome: removed (S3 confirmed), failed
//       (tried again later), kept (a live file references the object: never removed),
//       abandoned_upload (a pending upload past upload.abandon_after rejected)
//
// Mail (the mailer role, workers/mailer.hpp):
//   kemas_mail_messages_total{kind, outcome}  notices by template kind and how they ended
//
// Thread-safe (prometheus-cpp locks internally); the registry must outlive this object.

#include <cstddef>
#include <memory>
#include <string_view>

#include "domain/non_copyable.hpp"

namespace kemas::metrics {
class registry;
}

namespace kemas::worker {

enum class command_outcome { done, retry, rejected, dead_lettered };

std::string_view to_string(command_outcome outcome) noexcept;

// The `type` label of a delivery that is not a valid command envelope.
inline constexpr std::string_view invalid_command_type = "invalid";

class worker_metrics : kemas::non_copyable {
 public:
  explicit worker_metrics(metrics::registry& registry);
  ~worker_metrics();

  void processed(std::string_view type, command_outcome outcome);
  void handler_ran(std::string_view type, double seconds);
  void grouped(std::string_view type, std::size_t commands);
  void committed(std::string_view type, double seconds_since_issued);
  // `outcome`: downgraded | not_due | renewed | already_free.
  void plan_expiry(std::string_view outcome);
  void sweep_published();
  // `outcome`: removed | failed | kept | abandoned_upload.
  void cleanup(std::string_view outcome, std::size_t count);
  void queue_messages(std::string_view queue, double ready);
  void dead_letter_age(double seconds);
  void outbox_backlog(double unpublished, double oldest_age_seconds);
  // `kind`: a notice kind (mail_notices.hpp) or "invalid"; `outcome`: sent, skipped, duplicate,
  // retry, scheduled, dead_lettered.
  void mail(std::string_view kind, std::string_view outcome);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace kemas::worker
