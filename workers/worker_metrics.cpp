#include "workers/worker_metrics.hpp"

#include "workers/mail_notices.hpp"

#include "domain/enum_names.hpp"

#include "adapters/metrics/registry.hpp"
#include "domain/commands/envelope.hpp"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <array>
#include <string>

namespace kemas::worker {
namespace {

constexpr std::array<command_outcome, 4> all_outcomes{command_outcome::done, command_outcome::retry,
                                                      command_outcome::rejected,
                                                      command_outcome::dead_lettered};

// Publish -> commit includes the broker queue, and retries through the delay queues (up to an
// hour per step): the upper buckets are that long.
const prometheus::Histogram::BucketBoundaries latency_buckets{
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600};
const prometheus::Histogram::BucketBoundaries handler_buckets{
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
const prometheus::Histogram::BucketBoundaries group_buckets{2, 4, 8, 16, 32, 64, 128, 256};

}  // namespace

std::string_view to_string(command_outcome outcome) noexcept {
  static constexpr auto names =
      ordinal_table<command_outcome::dead_lettered>({"done", "retry", "rejected", "dead_lettered"});
  return name_of(names, outcome);
}

struct worker_metrics::impl {
  prometheus::Family<prometheus::Counter>& processed;
  prometheus::Family<prometheus::Histogram>& latency;
  prometheus::Family<prometheus::Histogram>& handler;
  prometheus::Family<prometheus::Histogram>* groups = nullptr;
  prometheus::Family<prometheus::Counter>* expiries = nullptr;
  prometheus::Counter* sweeps = nullptr;
  prometheus::Family<prometheus::Counter>* cleanup = nullptr;
  prometheus::Family<prometheus::Gauge>* queue_messages = nullptr;
  prometheus::Gauge* dead_letter_age = nullptr;
  prometheus::Gauge* outbox_unpublished = nullptr;
  prometheus::Gauge* outbox_oldest_age = nullptr;
  prometheus::Family<prometheus::Counter>* mail = nullptr;
};

namespace {
constexpr std::array<std::string_view, 6> mail_outcomes{"sent",  "skipped",   "duplicate",
                                                        "retry", "scheduled", "dead_lettered"};
}  // namespace

worker_metrics::worker_metrics(metrics::registry& registry) {
  auto& reg = registry.prometheus_registry();
  auto& processed = prometheus::BuildCounter()
                        .Name("kemas_commands_processed_total")
                        .Help(
                            "Command deliveries settled, by command type and outcome "
                            "(done, retry, rejected, dead_lettered)")
                        .Register(reg);
  auto& latency = prometheus::BuildHistogram()
                      .Name("kemas_command_latency_seconds")
                      .Help(
                          "From the command's issued_at (published by the api) to its "
                          "handler's commit, retries included")
                      .Register(reg);
  auto& handler = prometheus::BuildHistogram()
                      .Name("kemas_command_handler_seconds")
                      .Help("Time one handler run took, whatever its result")
                      .Register(reg);
  impl_ = std::make_unique<impl>(impl{processed, latency, handler});
  for (commands::command_type type : commands::all_command_types) {
    const std::string name(commands::to_string(type));
    for (command_outcome outcome : all_outcomes)
      processed.Add({{"type", name}, {"outcome", std::string(to_string(outcome))}});
  }
  processed.Add({{"type", std::string(invalid_command_type)},
                 {"outcome", std::string(to_string(command_outcome::dead_lettered))}});

  impl_->groups = &prometheus::BuildHistogram()
                       .Name("kemas_command_group_size")
                       .Help("Commands handled together in one group commit (groups of 2+)")
                       .Register(reg);
  impl_->expiries = &prometheus::BuildCounter()
                         .Name("kemas_plan_expiries_total")
                         .Help(
                             "expire commands by outcome (downgraded, not_due, renewed, "
                             "already_free)")
                         .Register(reg);
  for (const char* outcome : {"downgraded", "not_due", "renewed", "already_free"})
    impl_->expiries->Add({{"outcome", outcome}});
  impl_->sweeps = &prometheus::BuildCounter()
                       .Name("kemas_sweeps_published_total")
                       .Help("expire-sweep commands published by this scheduler")
                       .Register(reg)
                       .Add({});
  impl_->cleanup = &prometheus::BuildCounter()
                        .Name("kemas_object_cleanup_total")
                        .Help(
                            "Object removals by outcome (removed, failed, kept) and pending "
                            "uploads rejected as abandoned (abandoned_upload)")
                        .Register(reg);
  for (const char* outcome : {"removed", "failed", "kept", "abandoned_upload"})
    impl_->cleanup->Add({{"outcome", outcome}});
  impl_->dead_letter_age = &prometheus::BuildGauge()
                                .Name("kemas_dead_letter_oldest_age_seconds")
                                .Help("Seconds the oldest letter in kemas.dead-letters has waited "
                                      "(0: none), sampled by the scheduler")
                                .Register(reg)
                                .Add({});
  impl_->outbox_unpublished = &prometheus::BuildGauge()
                                   .Name("kemas_outbox_unpublished")
                                   .Help("Events in the outbox not yet published to RabbitMQ, "
                                         "sampled by the scheduler")
                                   .Register(reg)
                                   .Add({});
  impl_->outbox_oldest_age = &prometheus::BuildGauge()
                                  .Name("kemas_outbox_oldest_age_seconds")
                                  .Help("Seconds the oldest unpublished outbox event has waited "
                                        "(0: none), sampled by the scheduler")
                                  .Register(reg)
                                  .Add({});
  impl_->queue_messages = &prometheus::BuildGauge()
                               .Name("kemas_queue_messages")
                               .Help("Ready messages in a kemas queue, sampled by the scheduler")
                               .Register(reg);
  impl_->mail = &prometheus::BuildCounter()
                     .Name("kemas_mail_messages_total")
                     .Help(
                         "Mail notices by kind and outcome (sent, skipped, duplicate, retry, "
                         "scheduled, dead_lettered)")
                     .Register(reg);
  for (std::string_view kind : notice_kinds()) {
    for (std::string_view outcome : mail_outcomes)
      impl_->mail->Add({{"kind", std::string(kind)}, {"outcome", std::string(outcome)}});
  }
  impl_->mail->Add({{"kind", "invalid"}, {"outcome", "dead_lettered"}});
}

worker_metrics::~worker_metrics() = default;

void worker_metrics::processed(std::string_view type, command_outcome outcome) {
  impl_->processed.Add({{"type", std::string(type)}, {"outcome", std::string(to_string(outcome))}})
      .Increment();
}

void worker_metrics::handler_ran(std::string_view type, double seconds) {
  impl_->handler.Add({{"type", std::string(type)}}, handler_buckets)
      .Observe(std::max(0.0, seconds));
}

void worker_metrics::grouped(std::string_view type, std::size_t commands) {
  impl_->groups->Add({{"type", std::string(type)}}, group_buckets)
      .Observe(static_cast<double>(commands));
}

void worker_metrics::committed(std::string_view type, double seconds_since_issued) {
  impl_->latency.Add({{"type", std::string(type)}}, latency_buckets)
      .Observe(std::max(0.0, seconds_since_issued));
}

void worker_metrics::plan_expiry(std::string_view outcome) {
  impl_->expiries->Add({{"outcome", std::string(outcome)}}).Increment();
}

void worker_metrics::sweep_published() {
  impl_->sweeps->Increment();
}

void worker_metrics::cleanup(std::string_view outcome, std::size_t count) {
  if (count == 0)
    return;
  for (const char* known : {"removed", "failed", "kept", "abandoned_upload"}) {
    if (outcome == known) {
      impl_->cleanup->Add({{"outcome", known}}).Increment(static_cast<double>(count));
      return;
    }
  }
}

void worker_metrics::mail(std::string_view kind, std::string_view outcome) {
  // Labels come from fixed lists only: anything else is counted as "other".
  const auto& kinds = notice_kinds();
  const bool known_kind =
      kind == "invalid" || std::find(kinds.begin(), kinds.end(), kind) != kinds.end();
  const bool known_outcome =
      std::find(mail_outcomes.begin(), mail_outcomes.end(), outcome) != mail_outcomes.end();
  impl_->mail
      ->Add({{"kind", known_kind ? std::string(kind) : std::string("other")},
             {"outcome", known_outcome ? std::string(outcome) : std::string("other")}})
      .Increment();
}

void worker_metrics::dead_letter_age(double seconds) {
  impl_->dead_letter_age->Set(seconds);
}

void worker_metrics::outbox_backlog(double unpublished, double oldest_age_seconds) {
  impl_->outbox_unpublished->Set(unpublished);
  impl_->outbox_oldest_age->Set(oldest_age_seconds);
}

void worker_metrics::queue_messages(std::string_view queue, double ready) {
  impl_->queue_messages->Add({{"queue", std::string(queue)}}).Set(ready);
}

}  // namespace kemas::worker
