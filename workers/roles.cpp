#include "workers/roles.hpp"

#include "domain/enum_names.hpp"

#include "adapters/amqp/consumer.hpp"
#include "adapters/amqp/publisher.hpp"
#include "adapters/config/settings.hpp"
#include "adapters/log/logging.hpp"
#include "adapters/metrics/exposer.hpp"
#include "adapters/metrics/registry.hpp"
#include "adapters/postgres/commands/object_cleanup_store.hpp"
#include "adapters/postgres/pool.hpp"
#include "adapters/s3/client.hpp"
#include "adapters/s3/object_store.hpp"
#include "workers/audit_consumer.hpp"
#include "workers/command_dispatcher.hpp"
#include "workers/mailer.hpp"
#include "workers/object_cleaner.hpp"
#include "workers/outbox_relay.hpp"
#include "workers/reconciler_role.hpp"
#include "workers/sweep_scheduler.hpp"
#include "workers/worker_metrics.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include <unistd.h>
#include <thread>

namespace kemas::worker {
namespace {

using clock = std::chrono::steady_clock;

std::string connection_name(role r) {
  return "kemas-worker " + std::string(to_string(r)) + " pid " + std::to_string(::getpid());
}

// Waits until `done()` or the deadline; true when done.
template <class Predicate>
bool wait_until(clock::time_point deadline, Predicate done) {
  while (!done()) {
    if (clock::now() >= deadline)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

class commands_role final : public running_role {
 public:
  commands_role(const config::settings& settings, worker_metrics& metrics)
      : registry_(make_command_handlers(settings, &metrics)),
        pool_(std::max(1u, settings.worker.handler_threads)),
        dispatcher_(
            registry_,
            [this](std::function<void()> task) { boost::asio::post(pool_, std::move(task)); },
            [this](amqp::outgoing_message message, std::function<void(amqp::publish_result)> done) {
              retries_.async_publish(std::move(message), std::move(done));
            },
            retry_policy_of(settings), &metrics),
        retries_(settings.amqp, retry_publisher_options(settings)),
        consumer_(settings.amqp, consumer_options(settings),
                  [this](amqp::delivery d, amqp::delivery_handle h) {
                    dispatcher_.on_delivery(std::move(d), std::move(h));
                  }),
        relay_(settings, make_relay_options()),
        cleaner_(make_cleaner(settings, metrics)) {
    log::info("commands role started", {{"handlers", registry_.size()},
                                        {"handler_threads", settings.worker.handler_threads}});
  }

  bool stop(std::chrono::milliseconds drain) override {
    const auto deadline = clock::now() + drain;
    // The relay's batch in flight ends within confirm_timeout; committed events not yet
    // published wait in the outbox for the next relay.
    relay_.stop();
    cleaner_->stop();  // its round in flight finishes; leased rows come due again anyway
    // Waits for handlers and for delayed copies awaiting their confirm (both settle through
    // the consumer), so the retry publisher stops only after them.
    const std::size_t unsettled = consumer_.stop(drain);
    // Settled messages may still have a handler thread finishing its log line.
    const bool finished = wait_until(deadline, [this] { return dispatcher_.running() == 0; });
    if (finished)
      pool_.join();
    retries_.stop();  // fails what is still pending: those originals are back in their queue
    return unsettled == 0 && finished;
  }

  ~commands_role() override {
    // Never block in a destructor on a stuck handler: stop() decided already.
    pool_.stop();
  }

 private:
  static amqp::consumer_options consumer_options(const config::settings& settings) {
    amqp::consumer_options options;
    options.name = connection_name(role::commands);
    for (commands::command_type type : commands::all_command_types) {
      options.queues.push_back(amqp::command_queue(type));
    }
    options.declare_on_connect = amqp::kemas_topology(settings.amqp.delivery_limit);
    return options;
  }

  static retry_policy retry_policy_of(const config::settings& settings) {
    retry_policy policy;
    policy.max_attempts = settings.worker.retry_attempts;
    policy.max_delay = settings.worker.retry_max_delay;
    policy.delivery_limit = settings.amqp.delivery_limit;
    return policy;
  }

  static amqp::publisher_options retry_publisher_options(const config::settings& settings) {
    amqp::publisher_options options;
    options.name = "kemas-worker retries pid " + std::to_string(::getpid());
    options.declare_on_connect = amqp::kemas_topology(settings.amqp.delivery_limit);
    return options;
  }

  // Its own PostgreSQL session and S3 client: a long cleanup round never takes a handler's.
  static std::unique_ptr<object_cleaner> make_cleaner(const config::settings& settings,
                                                      worker_metrics& metrics) {
    config::postgres_settings db = settings.postgres;
    db.pool_size = 1;
    auto pool = std::make_shared<postgres::pg_pool>(db, "kemas-worker cleaner");
    ports::cleanup_policy policy;
    policy.batch = settings.worker.cleanup_batch;
    policy.abandon_after = settings.upload.abandon_after;
    policy.retry = settings.worker.cleanup_retry;
    return std::make_unique<object_cleaner>(
        std::make_shared<postgres::object_cleanup_store>(std::move(pool)),
        std::make_shared<s3::s3_object_store>(std::make_shared<s3::s3_client>(settings.s3)),
        policy, settings.worker.cleanup_idle, &metrics);
  }

  static relay_options make_relay_options() {
    relay_options options;
    options.name = "kemas-worker relay pid " + std::to_string(::getpid());
    return options;
  }

  handler_registry registry_;
  boost::asio::thread_pool pool_;
  command_dispatcher dispatcher_;
  // Delayed retries (the dispatcher's republisher). Destroyed before the dispatcher: its
  // confirm callbacks run into it.
  amqp::amqp_publisher retries_;
  amqp::amqp_consumer consumer_;  // delivers into the members above
  outbox_relay relay_;            // independent of the consumer: its own connections
  std::unique_ptr<object_cleaner> cleaner_;  // its own connections too
};

// Stores every event of kemas.events.audit in audit_log (workers/audit_consumer.hpp).
class audit_role final : public running_role {
 public:
  explicit audit_role(const config::settings& settings)
      : writer_(settings),
        consumer_(settings.amqp, consumer_options(settings),
                  [this](amqp::delivery d, amqp::delivery_handle h) {
                    writer_.on_delivery(std::move(d), std::move(h));
                  }) {
    log::info("audit role started", {{"writer_threads", settings.worker.handler_threads}});
  }

  bool stop(std::chrono::milliseconds drain) override {
    const auto deadline = clock::now() + drain;
    // Writes in progress finish; one waiting to retry after a database failure is requeued.
    writer_.begin_stop();
    const std::size_t unsettled = consumer_.stop(drain);
    return writer_.wait_idle(deadline) && unsettled == 0;
  }

 private:
  static amqp::consumer_options consumer_options(const config::settings& settings) {
    amqp::consumer_options options;
    options.name = connection_name(role::audit);
    options.queues.push_back(std::string(amqp::names::audit_queue));
    options.declare_on_connect = amqp::kemas_topology(settings.amqp.delivery_limit);
    return options;
  }

  audit_writer writer_;
  amqp::amqp_consumer consumer_;  // last: delivers into writer_
};

// Sends the e-mail of kemas.events.mail (workers/mailer.hpp).
class mail_role final : public running_role {
 public:
  mail_role(const config::settings& settings, worker_metrics& metrics)
      : mailer_(settings, metrics),
        consumer_(settings.amqp, consumer_options(settings),
                  [this](amqp::delivery d, amqp::delivery_handle h) {
                    mailer_.on_delivery(std::move(d), std::move(h));
                  }) {
    log::info("mailer role started",
              {{"threads", settings.mail.threads}, {"attempts", settings.mail.attempts}});
  }

  bool stop(std::chrono::milliseconds drain) override {
    const auto deadline = clock::now() + drain;
    mailer_.begin_stop();  // deliveries not yet started go back to the queue
    const std::size_t unsettled = consumer_.stop(drain);
    return mailer_.wait_idle(deadline) && unsettled == 0;
  }

 private:
  static amqp::consumer_options consumer_options(const config::settings& settings) {
    amqp::consumer_options options;
    options.name = connection_name(role::mailer);
    options.queues.push_back(std::string(amqp::names::mail_queue));
    options.declare_on_connect = amqp::kemas_topology(settings.amqp.delivery_limit);
    return options;
  }

  mailer mailer_;
  amqp::amqp_consumer consumer_;  // last: delivers into mailer_
};

}  // namespace

std::optional<role> role_from_string(std::string_view name) noexcept {
  for (role r : {role::commands, role::audit, role::scheduler, role::mailer, role::reconciler}) {
    if (to_string(r) == name)
      return r;
  }
  return std::nullopt;
}

std::string_view to_string(role r) noexcept {
  static constexpr auto names =
      ordinal_table<role::reconciler>({"commands", "audit", "scheduler", "mailer", "reconciler"});
  return name_of(names, r);
}

namespace {

std::unique_ptr<running_role> make_role(role r, const config::settings& settings,
                                        worker_metrics& metrics, metrics::registry& registry) {
  switch (r) {
    case role::commands:
      return std::make_unique<commands_role>(settings, metrics);
    case role::audit:
      return std::make_unique<audit_role>(settings);
    case role::scheduler:
      return make_scheduler_role(settings, metrics);
    case role::mailer:
      return std::make_unique<mail_role>(settings, metrics);
    case role::reconciler:
      return make_reconciler_role(settings, registry);
  }
  return nullptr;
}

// Any role with its metrics: the registry, the /metrics listener when worker.metrics_port is
// set (started first, so a taken port stops start-up before any connection), then the role.
class observed_role final : public running_role {
 public:
  observed_role(role r, const config::settings& settings)
      : registry_("kemas-worker-" + std::string(to_string(r))),
        metrics_(registry_),
        exposer_(make_exposer(settings)),
        role_(make_role(r, settings, metrics_, registry_)) {
    registry_.add_sampled_counter(
        "kemas_log_lines_dropped_total",
        "Log lines dropped because the log queue (log.queue_lines) was full",
        [] { return static_cast<double>(log::lines_dropped()); });
  }

  bool stop(std::chrono::milliseconds drain) override { return role_->stop(drain); }

  std::uint16_t metrics_port() const noexcept override { return exposer_ ? exposer_->port() : 0; }

 private:
  std::unique_ptr<metrics::exposer> make_exposer(const config::settings& settings) {
    if (settings.worker.metrics_port == 0)
      return nullptr;
    auto listener = std::make_unique<metrics::exposer>(registry_, settings.worker.metrics_host,
                                                       settings.worker.metrics_port);
    log::info(
        "serving metrics",
        {{"host", settings.worker.metrics_host}, {"port", listener->port()}, {"path", "/metrics"}});
    return listener;
  }

  metrics::registry registry_;
  worker_metrics metrics_;
  std::unique_ptr<metrics::exposer> exposer_;
  std::unique_ptr<running_role> role_;  // last: destroyed first, it reports into metrics_
};

}  // namespace

std::unique_ptr<running_role> start_role(role r, const config::settings& settings) {
  return std::make_unique<observed_role>(r, settings);
}

}  // namespace kemas::worker
