#include "workers/roles.hpp"

#include "adapters/amqp/consumer.hpp"
#include "adapters/amqp/publisher.hpp"
#include "adapters/config/settings.hpp"
#include "adapters/log/logging.hpp"
#include "workers/audit_consumer.hpp"
#include "workers/command_dispatcher.hpp"
#include "workers/outbox_relay.hpp"

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
  explicit commands_role(const config::settings& settings)
      : registry_(make_command_handlers(settings)),
        pool_(std::max(1u, settings.worker.handler_threads)),
        dispatcher_(
            registry_,
            [this](std::function<void()> task) { boost::asio::post(pool_, std::move(task)); },
            settings.amqp.delivery_limit),
        consumer_(settings.amqp, consumer_options(settings),
                  [this](amqp::delivery d, amqp::delivery_handle h) {
                    dispatcher_.on_delivery(std::move(d), std::move(h));
                  }),
        relay_(settings, make_relay_options()) {
    log::info("commands role started", {{"handlers", registry_.size()},
                                        {"handler_threads", settings.worker.handler_threads}});
  }

  bool stop(std::chrono::milliseconds drain) override {
    const auto deadline = clock::now() + drain;
    // The relay's batch in flight ends within confirm_timeout; committed events not yet
    // published wait in the outbox for the next relay.
    relay_.stop();
    const std::size_t unsettled = consumer_.stop(drain);
    // Settled messages may still have a handler thread finishing its log line.
    const bool finished = wait_until(deadline, [this] { return dispatcher_.running() == 0; });
    if (finished)
      pool_.join();
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
    for (domain::command_type type : domain::all_command_types) {
      options.queues.push_back(amqp::command_queue(type));
    }
    options.declare_on_connect = amqp::kemas_topology(settings.amqp.delivery_limit);
    return options;
  }

  static relay_options make_relay_options() {
    relay_options options;
    options.name = "kemas-worker relay pid " + std::to_string(::getpid());
    return options;
  }

  handler_registry registry_;
  boost::asio::thread_pool pool_;
  command_dispatcher dispatcher_;
  amqp::amqp_consumer consumer_;  // delivers into the members above
  outbox_relay relay_;            // independent of the consumer: its own connections
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

// scheduler and mailer in step 1: keep a publisher connection (it declares the topology on
// every connect) and wait for shutdown. Their jobs (expiry sweeps, e-mail) come later.
class idle_role final : public running_role {
 public:
  idle_role(role r, const config::settings& settings)
      : publisher_(settings.amqp, publisher_options(r, settings)) {
    log::info("role has no jobs yet; waiting for shutdown", {{"role", to_string(r)}});
  }

  bool stop(std::chrono::milliseconds) override {
    publisher_.stop();
    return true;
  }

 private:
  static amqp::publisher_options publisher_options(role r, const config::settings& settings) {
    amqp::publisher_options options;
    options.name = connection_name(r);
    options.declare_on_connect = amqp::kemas_topology(settings.amqp.delivery_limit);
    return options;
  }

  amqp::amqp_publisher publisher_;
};

}  // namespace

std::optional<role> role_from_string(std::string_view name) noexcept {
  for (role r : {role::commands, role::audit, role::scheduler, role::mailer}) {
    if (to_string(r) == name)
      return r;
  }
  return std::nullopt;
}

std::string_view to_string(role r) noexcept {
  switch (r) {
    case role::commands:
      return "commands";
    case role::audit:
      return "audit";
    case role::scheduler:
      return "scheduler";
    case role::mailer:
      return "mailer";
  }
  return "unknown";
}

std::unique_ptr<running_role> start_role(role r, const config::settings& settings) {
  switch (r) {
    case role::commands:
      return std::make_unique<commands_role>(settings);
    case role::audit:
      return std::make_unique<audit_role>(settings);
    case role::scheduler:
    case role::mailer:
      return std::make_unique<idle_role>(r, settings);
  }
  return nullptr;
}

}  // namespace kemas::worker
