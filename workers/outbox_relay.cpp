#include "workers/outbox_relay.hpp"

#include "adapters/amqp/backoff.hpp"
#include "adapters/amqp/publisher.hpp"
#include "adapters/amqp/topology.hpp"
#include "adapters/config/settings.hpp"
#include "adapters/log/logging.hpp"
#include "adapters/log/repeat_gate.hpp"
#include "adapters/postgres/pool.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace kemas::worker {
namespace {

std::string string_member(const boost::json::object& object, std::string_view key) {
  const boost::json::value* value = object.if_contains(key);
  return value != nullptr && value->is_string() ? std::string(value->get_string()) : std::string();
}

config::postgres_settings single_session(config::postgres_settings settings) {
  settings.pool_size = 1;  // the relay runs one transaction at a time
  return settings;
}

}  // namespace

amqp::outgoing_message outbox_message(const postgres::outbox_row& row) {
  amqp::outgoing_message message;
  message.exchange = std::string(amqp::names::events_exchange);
  message.body = row.event;
  boost::system::error_code ec;
  const boost::json::value event = boost::json::parse(row.event, ec);
  if (!ec && event.is_object()) {
    const auto& object = event.get_object();
    message.routing_key = string_member(object, "type");
    message.type = message.routing_key;
    message.message_id = string_member(object, "id");
    message.correlation_id = string_member(object, "request_id");
  }
  if (message.routing_key.empty() || message.message_id.empty()) {
    message.routing_key = "outbox.invalid";
    message.type = message.routing_key;
    message.message_id = "outbox-row-" + std::to_string(row.id);
  }
  return message;
}

class outbox_relay::impl {
 public:
  impl(const config::settings& settings, relay_options options)
      : options_(std::move(options)),
        confirm_timeout_(settings.amqp.confirm_timeout),
        pool_(single_session(settings.postgres), options_.name),
        publisher_(settings.amqp, publisher_options(settings, options_.name)),
        thread_([this] { loop(); }) {}

  ~impl() { stop(); }

  void stop() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable())
      thread_.join();
    publisher_.stop();  // both idempotent
    pool_.stop();
  }

  std::uint64_t published() const noexcept { return published_.load(); }

 private:
  static amqp::publisher_options publisher_options(const config::settings& settings,
                                                   const std::string& name) {
    amqp::publisher_options options;
    options.name = name;
    options.declare_on_connect = amqp::kemas_topology(settings.amqp.delivery_limit);
    return options;
  }

  // Waits `delay` or until stop(); true when stopping.
  bool pause(std::chrono::milliseconds delay) {
    std::unique_lock lock(mutex_);
    return wake_.wait_for(lock, delay, [this] { return stopping_; });
  }

  void loop() {
    log::info("outbox relay started",
              {{"batch_size", options_.batch_size},
               {"idle_poll_ms", static_cast<std::int64_t>(options_.idle_poll.count())}});
    amqp::backoff retry(options_.retry_min, options_.retry_max);
    for (;;) {
      std::chrono::milliseconds delay = options_.idle_poll;
      if (!publisher_.connected()) {
        // The publisher reconnects on its own (with its own backoff): claim no rows until then.
        delay = options_.idle_poll;
      } else {
        try {
          auto job = [this](soci::session& sql) {
            return postgres::relay_unpublished(
                sql, options_.batch_size,
                [this](std::span<const postgres::outbox_row> rows) { return publish(rows); });
          };
          const postgres::relay_outcome outcome = pool_.with_session(std::move(job));
          published_.fetch_add(outcome.published);
          if (outcome.published < outcome.claimed) {
            delay = retry.next();
          } else {
            retry.reset();
            if (outcome.claimed == options_.batch_size)
              delay = std::chrono::milliseconds(0);  // a backlog: next batch at once
          }
        } catch (const std::exception& e) {
          delay = retry.next();
          if (const auto held = failed_log_.pass())
            log::warn("outbox relay failed; retrying",
                      {{"error", e.what()},
                       {"retry_in_ms", static_cast<std::int64_t>(delay.count())},
                       {"attempts_not_logged", *held}});
        }
      }
      if (pause(delay))
        break;
    }
    log::info("outbox relay stopped", {{"published", published_.load()}});
  }

  // Publishes every row at once (confirms are pipelined) and waits for all outcomes; returns
  // the confirmed ids. Runs on the pool thread inside the claiming transaction.
  std::vector<std::int64_t> publish(std::span<const postgres::outbox_row> rows) {
    struct pending {
      std::mutex mutex;
      std::condition_variable done;
      std::size_t left = 0;
      std::vector<std::int64_t> confirmed;
      std::size_t failed = 0;
      std::string first_failure;
    };
    auto state = std::make_shared<pending>();
    state->left = rows.size();
    for (const postgres::outbox_row& row : rows) {
      amqp::outgoing_message message = outbox_message(row);
      if (message.routing_key == "outbox.invalid")
        log::warn("outbox row holds no valid event; publishing it for dead-lettering",
                  {{"outbox_id", row.id}});
      auto on_done = [state, id = row.id, event_id = message.message_id](amqp::publish_result r) {
        std::lock_guard lock(state->mutex);
        if (r.ok()) {
          state->confirmed.push_back(id);
        } else if (state->failed++ == 0) {
          state->first_failure = event_id + ": " + amqp::to_string(r.error) + " " + r.detail;
        }
        if (--state->left == 0)
          state->done.notify_all();
      };
      publisher_.async_publish(std::move(message), std::move(on_done));
    }
    std::unique_lock lock(state->mutex);
    // The publisher completes every publish within about confirm_timeout; the extra margin
    // only guards against a bug there (late completions then find `state` still alive).
    state->done.wait_for(lock, confirm_timeout_ + std::chrono::seconds(10),
                         [&] { return state->left == 0; });
    if (state->failed == 0 && state->left == 0) {
      failed_log_.reset();
    } else if (const auto held = failed_log_.pass()) {
      log::warn("outbox events not confirmed; they stay in the outbox for a retry",
                {{"claimed", rows.size()},
                 {"confirmed", state->confirmed.size()},
                 {"first_failure", state->first_failure},
                 {"attempts_not_logged", *held}});
    }
    return state->confirmed;
  }

  relay_options options_;
  log::repeat_gate failed_log_;  // on the relay's loop only (publish runs inside its session)
  std::chrono::milliseconds confirm_timeout_;
  postgres::pg_pool pool_;
  amqp::amqp_publisher publisher_;
  std::atomic<std::uint64_t> published_{0};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;  // last: starts once everything above exists
};

outbox_relay::outbox_relay(const config::settings& settings, relay_options options)
    : impl_(std::make_unique<impl>(settings, std::move(options))) {}

outbox_relay::~outbox_relay() = default;

void outbox_relay::stop() {
  impl_->stop();
}

std::uint64_t outbox_relay::published() const noexcept {
  return impl_->published();
}

}  // namespace kemas::worker
