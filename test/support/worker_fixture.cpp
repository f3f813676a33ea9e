#include "test/support/worker_fixture.hpp"

#include <csignal>
#include <stdexcept>

#include "test/support/child_process.hpp"

namespace kemas::test {

struct worker_fixture::process {
  child_process child;
};

worker_fixture::worker_fixture(std::string_view tag) : tag_(tag), vhost_(tag) {}

worker_fixture::~worker_fixture() {
  kill();
}

std::function<void(config::settings&)> worker_fixture::api_tweak(
    std::function<void(config::settings&)> more) const {
  return [vhost = vhost_.name(), more = std::move(more)](config::settings& s) {
    s.amqp.vhost = vhost;
    if (more)
      more(s);
  };
}

void worker_fixture::start(const config::postgres_settings& database,
                           std::chrono::milliseconds limit) {
  kill();
  ++started_;
  const std::string log_name = tag_ + ".worker" + std::to_string(started_);
  // Aggregate initialisation from the prvalue: child_process is neither copied nor moved.
  worker_.reset(new process{start_worker("commands", database.url, vhost_.name(), log_name)});
  if (!worker_->child.wait_for_stderr("\"msg\":\"amqp consumer connected\"", limit)) {
    const std::string text = log();
    kill();
    throw std::runtime_error("kemas-worker did not connect in time:\n" + text);
  }
}

void worker_fixture::kill() {
  if (!worker_)
    return;
  worker_->child.signal(SIGKILL);
  worker_->child.wait_for(std::chrono::seconds(10));
  last_log_ = worker_->child.stderr_text();
  worker_.reset();  // reaps it if the wait above ran out
}

std::string worker_fixture::log() const {
  return worker_ ? worker_->child.stderr_text() : last_log_;
}

}  // namespace kemas::test
