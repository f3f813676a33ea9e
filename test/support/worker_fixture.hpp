#pragma once
// worker_fixture: a commands worker for an api_fixture (test/support/api_fixture.hpp), so
// uploads and deletes sent through the HTTP API get committed. It owns
//   - a RabbitMQ vhost of the test's own: the api's publisher and the worker both use it, so
//     no other worker on the shared broker (another test's, a developer's) takes these
//     commands and applies them to the wrong database;
//   - `kemas-worker --role commands` (the binary of this build) as a child process pointed at
//     the api_fixture's scratch database and the shared S3 bucket. The test may SIGKILL it and
//     start another: commands published meanwhile wait in the vhost's durable queues.
//
// Order: construct the worker_fixture first, pass api_tweak() to the api_fixture (its
// database does not exist before), then start(api.database().settings()). Destroy in reverse
// (members declared in that order do this): the worker is killed, then the vhost deleted.
//
// Threading: one test thread owns an instance. Failures throw std::runtime_error.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "adapters/config/settings.hpp"
#include "test/support/relay_fixture.hpp"
#include "domain/non_copyable.hpp"

namespace kemas::test {

class worker_fixture : kemas::non_copyable {
 public:
  explicit worker_fixture(std::string_view tag);
  ~worker_fixture();

  // An api_fixture tweak: points the api's RabbitMQ settings at this fixture's vhost, then
  // applies `more` (limits, upload.wait, ...).
  std::function<void(config::settings&)> api_tweak(
      std::function<void(config::settings&)> more = {}) const;

  // Starts a worker (at most one runs at a time) against `database` and waits until its
  // consumer is connected (the topology is declared then). Each start logs to its own file,
  // <binary dir>/test/<tag>.worker<N>.log. Throws with the worker's stderr when it does not
  // connect within `limit`.
  void start(const config::postgres_settings& database,
             std::chrono::milliseconds limit = std::chrono::seconds(20));
  // SIGKILL, no drain: in-flight commands stay unacknowledged and return to their queue.
  // Returns once the process is reaped. No-op when none runs.
  void kill();
  bool running() const noexcept { return worker_ != nullptr; }

  // stderr of the current (else the last) worker, for failure messages.
  std::string log() const;
  const scratch_vhost& vhost() const noexcept { return vhost_; }

 private:
  struct process;  // a child_process that is not movable, held by pointer

  std::string tag_;
  scratch_vhost vhost_;
  std::unique_ptr<process> worker_;
  std::string last_log_;
  int started_ = 0;
};

}  // namespace kemas::test
