#include "workers/reconciler_role.hpp"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "adapters/config/settings.hpp"
#include "adapters/log/logging.hpp"
#include "adapters/metrics/registry.hpp"
#include "adapters/postgres/commands/reconcile_store.hpp"
#include "adapters/postgres/pool.hpp"
#include "adapters/s3/client.hpp"
#include "adapters/s3/object_store.hpp"
#include "workers/reconciler.hpp"

namespace kemas::worker {
namespace {

class reconcile_metrics {
 public:
  explicit reconcile_metrics(metrics::registry& registry) {
    auto& reg = registry.prometheus_registry();
    objects_ = &prometheus::BuildGauge()
                    .Name("kemas_reconcile_objects")
                    .Help("The last reconcile run: objects listed, live files compared, "
                          "orphans, unaccounted objects younger than the grace, missing objects")
                    .Register(reg);
    quarantined_ = &prometheus::BuildCounter()
                        .Name("kemas_reconcile_quarantined_total")
                        .Help("Orphaned objects whose removal the reconciler scheduled")
                        .Register(reg)
                        .Add({});
    runs_ = &prometheus::BuildCounter()
                 .Name("kemas_reconcile_runs_total")
                 .Help("Reconcile runs by outcome (ok, failed)")
                 .Register(reg);
    ok_ = &runs_->Add({{"outcome", "ok"}});
    failed_ = &runs_->Add({{"outcome", "failed"}});
    last_success_ = &prometheus::BuildGauge()
                         .Name("kemas_reconcile_last_success_timestamp_seconds")
                         .Help("Unix time the last successful reconcile run ended")
                         .Register(reg)
                         .Add({});
  }

  void succeeded(const reconcile_report& r) {
    objects_->Add({{"kind", "listed"}}).Set(static_cast<double>(r.objects));
    objects_->Add({{"kind", "live_files"}}).Set(static_cast<double>(r.live_files));
    objects_->Add({{"kind", "orphans"}}).Set(static_cast<double>(r.orphans));
    objects_->Add({{"kind", "young"}}).Set(static_cast<double>(r.young));
    objects_->Add({{"kind", "missing"}}).Set(static_cast<double>(r.missing));
    quarantined_->Increment(static_cast<double>(r.quarantined));
    ok_->Increment();
    last_success_->SetToCurrentTime();
  }
  void failed() { failed_->Increment(); }

 private:
  prometheus::Family<prometheus::Gauge>* objects_ = nullptr;
  prometheus::Counter* quarantined_ = nullptr;
  prometheus::Family<prometheus::Counter>* runs_ = nullptr;
  prometheus::Counter* ok_ = nullptr;
  prometheus::Counter* failed_ = nullptr;
  prometheus::Gauge* last_success_ = nullptr;
};

class reconciler_role final : public running_role {
 public:
  reconciler_role(const config::settings& settings, metrics::registry& registry)
      : interval_(settings.worker.reconcile_interval),
        options_(options_of(settings)),
        metrics_(registry),
        db_(std::make_shared<postgres::pg_pool>(db_settings(settings), "kemas-worker reconciler")),
        store_(db_),
        bucket_(std::make_shared<s3::s3_client>(settings.s3)),
        thread_([this] { run(); }) {
    log::info("reconciler role started",
              {{"interval_ms", static_cast<std::int64_t>(interval_.count())}});
  }

  ~reconciler_role() override { stop(std::chrono::milliseconds(0)); }

  bool stop(std::chrono::milliseconds) override {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable())
      thread_.join();
    return true;
  }

 private:
  static config::postgres_settings db_settings(const config::settings& settings) {
    config::postgres_settings db = settings.postgres;
    db.pool_size = 1;
    return db;
  }

  static reconcile_options options_of(const config::settings& settings) {
    reconcile_options options;
    options.grace = settings.worker.reconcile_grace;
    options.quarantine = settings.worker.reconcile_quarantine;
    return options;
  }

  void run() {
    for (;;) {
      try {
        const reconcile_report report = reconcile(bucket_, store_, options_);
        metrics_.succeeded(report);
        log::info("reconcile done", {{"objects", report.objects},
                                     {"live_files", report.live_files},
                                     {"orphans", report.orphans},
                                     {"quarantined", report.quarantined},
                                     {"young", report.young},
                                     {"missing", report.missing}});
        for (const auto& key : report.missing_sample)
          log::error("live file without its object", {{"object_key", key}});
      } catch (const std::exception& e) {
        metrics_.failed();
        log::warn("reconcile failed; trying again next interval", {{"error", e.what()}});
      }
      std::unique_lock lock(mutex_);
      if (wake_.wait_for(lock, interval_, [this] { return stopping_; }))
        return;
    }
  }

  const std::chrono::milliseconds interval_;
  const reconcile_options options_;
  reconcile_metrics metrics_;
  std::shared_ptr<postgres::pg_pool> db_;
  postgres::reconcile_store store_;
  s3::s3_object_store bucket_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;  // last: starts once everything above exists
};

}  // namespace

std::unique_ptr<running_role> make_reconciler_role(const config::settings& settings,
                                                   metrics::registry& registry) {
  return std::make_unique<reconciler_role>(settings, registry);
}

}  // namespace kemas::worker
