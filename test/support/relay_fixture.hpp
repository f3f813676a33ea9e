#pragma once
// Test helpers for the outbox relay and the audit role: a RabbitMQ vhost of the test's own
// (the audit queue kemas.events.audit is a shared name: a worker of another test, or of a
// developer, consuming it in vhost "/" would take this test's events), kemas-worker started
// against a scratch database and that vhost, and polling with a deadline.
//
// Threading: one test thread owns each object. Failures throw std::runtime_error.

#include "adapters/config/settings.hpp"
#include "test/support/child_process.hpp"

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "test/support/eventually.hpp"
#include "domain/non_copyable.hpp"

namespace kemas::test {

// Creates vhost "kemas-it-<tag>-<hex>" through the management API and grants the test user
// every permission on it; deletes it (with its queues and exchanges) on destruction.
class scratch_vhost : kemas::non_copyable {
 public:
  explicit scratch_vhost(std::string_view tag);
  ~scratch_vhost();

  const std::string& name() const noexcept { return name_; }
  // amqp_settings_from_env() pointed at this vhost.
  config::amqp_settings amqp_settings() const;

  // Declares a classic, durable queue bound to the topic exchange kemas.events with
  // `binding` (declaring that exchange as the kemas topology does), to watch what is
  // published there.
  void tap_events(const std::string& queue, const std::string& binding = "#") const;

 private:
  std::string name_;
};

// Starts `kemas-worker --role <role>` with the development servers' environment, its
// PostgreSQL url pointed at `postgres_url`, its vhost at `vhost`, a 5 s drain timeout,
// stderr to <binary dir>/test/<log_name>.log; `extra_env` last (overrides).
child_process start_worker(const std::string& role, const std::string& postgres_url,
                           const std::string& vhost, const std::string& log_name,
                           std::vector<std::pair<std::string, std::string>> extra_env = {});


}  // namespace kemas::test
