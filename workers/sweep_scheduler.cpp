#include "workers/sweep_scheduler.hpp"

#include "adapters/amqp/command_message.hpp"
#include "adapters/amqp/command_scheduler.hpp"
#include "adapters/amqp/publisher.hpp"
#include "adapters/amqp/topology.hpp"
#include "adapters/config/settings.hpp"
#include "adapters/log/logging.hpp"
#include "adapters/log/repeat_gate.hpp"
#include "adapters/postgres/commands/outbox_backlog.hpp"
#include "adapters/postgres/commands/sweep_slots.hpp"
#include "adapters/postgres/pool.hpp"
#include "workers/queue_probe.hpp"
#include "workers/handlers/scheduled_commands.hpp"
#include "workers/worker_metrics.hpp"

#include <unistd.h>
#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace kemas::worker {
namespace {

using sys_clock = std::chrono::system_clock;
using std::chrono::milliseconds;

constexpr milliseconds retry_after{1'000};
constexpr milliseconds max_probe_interval{10'000};

timestamp now_ms() {
  return std::chrono::time_point_cast<milliseconds>(sys_clock::now());
}

std::string scheduler_name() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0)
    host[0] = '\0';
  return std::string(host) + " pid " + std::to_string(::getpid());
}

class scheduler_role final : public running_role {
 public:
  scheduler_role(const config::settings& settings, worker_metrics& metrics)
      : interval_(settings.expiry.sweep_interval),
        metrics_(metrics),
        publisher_(settings.amqp, publisher_options(settings)),
        db_(std::make_shared<postgres::pg_pool>(db_settings(settings), "kemas-worker scheduler")),
        slots_(db_),
        probe_(settings.amqp, kemas_queue_names()),
        name_(scheduler_name()),
        thread_([this] { run(); }) {
    log::info("scheduler role started",
              {{"sweep_interval_ms", static_cast<std::int64_t>(interval_.count())},
               {"scheduler", name_}});
  }

  ~scheduler_role() override { stop(milliseconds(0)); }

  bool stop(milliseconds) override {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable())
      thread_.join();
    publisher_.stop();
    db_->stop();
    return true;
  }

 private:
  static amqp::publisher_options publisher_options(const config::settings& settings) {
    amqp::publisher_options options;
    options.name = "kemas-worker scheduler pid " + std::to_string(::getpid());
    options.declare_on_connect = amqp::kemas_topology(settings.amqp.delivery_limit);
    return options;
  }

  static config::postgres_settings db_settings(const config::settings& settings) {
    config::postgres_settings db = settings.postgres;
    db.pool_size = 1;
    return db;
  }

  std::int64_t slot_of(sys_clock::time_point t) const {
    return std::chrono::duration_cast<milliseconds>(t.time_since_epoch()).count() /
           interval_.count();
  }

  sys_clock::time_point slot_start(std::int64_t slot) const {
    return sys_clock::time_point(std::chrono::duration_cast<sys_clock::duration>(interval_ * slot));
  }

  // False when stop() was called meanwhile.
  bool sleep_until(sys_clock::time_point t) {
    std::unique_lock lock(mutex_);
    return !wake_.wait_until(lock, t, [this] { return stopping_; });
  }

  void run() {
    const milliseconds probe_interval = std::min(interval_, max_probe_interval);
    std::int64_t settled_slot = -1;  // published by us or taken by another scheduler
    auto next_probe = sys_clock::now();
    for (;;) {
      const auto now = sys_clock::now();
      const std::int64_t slot = slot_of(now);
      auto wake_at = slot_start(slot + 1);
      if (slot != settled_slot) {
        if (claim_and_publish(slot) == ports::slot_claim::failed)
          wake_at = std::min(wake_at, now + retry_after);
        else
          settled_slot = slot;
      }
      if (now >= next_probe) {
        bool dead_letters = false;
        for (const auto& [queue, ready] : probe_.sample()) {
          metrics_.queue_messages(queue, static_cast<double>(ready));
          dead_letters |= queue == amqp::names::dead_letter_queue && ready > 0;
        }
        metrics_.dead_letter_age(dead_letters ? probe_.oldest_dead_letter_age().value_or(0) : 0);
        if (const auto backlog = postgres::sample_outbox_backlog(*db_))
          metrics_.outbox_backlog(static_cast<double>(backlog->unpublished),
                                  backlog->oldest_age_seconds);
        next_probe = now + probe_interval;
      }
      if (!sleep_until(std::min(wake_at, next_probe)))
        return;
    }
  }

  ports::slot_claim claim_and_publish(std::int64_t slot) {
    const auto sweep = make_sweep_command(slot, interval_, now_ms());
    auto publish = [&] {
      const amqp::publish_result published = publisher_.publish_sync(amqp::command_message(sweep));
      if (published.ok()) {
        not_published_log_.reset();
      } else if (const auto held = not_published_log_.pass()) {
        log::warn("expire-sweep not published; releasing the slot",
                  {{"slot", slot},
                   {"error", amqp::describe(published)},
                   {"attempts_not_logged", *held}});
      }
      return published.ok();
    };
    const ports::slot_claim claim = slots_.claim(slot, name_, publish);
    if (claim == ports::slot_claim::published) {
      metrics_.sweep_published();
      log::info("expire-sweep published", {{"slot", slot}, {"command_id", sweep.id}});
    }
    return claim;
  }

  const milliseconds interval_;
  worker_metrics& metrics_;
  amqp::amqp_publisher publisher_;
  std::shared_ptr<postgres::pg_pool> db_;
  postgres::sweep_slots slots_;
  queue_probe probe_;                    // used on thread_ only
  log::repeat_gate not_published_log_;  // used on thread_ only
  const std::string name_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;  // last: starts once everything above exists
};

}  // namespace

std::unique_ptr<running_role> make_scheduler_role(const config::settings& settings,
                                                  worker_metrics& metrics) {
  return std::make_unique<scheduler_role>(settings, metrics);
}

}  // namespace kemas::worker
