#pragma once
// queue_probe: how many messages wait in each kemas queue, for the kemas_queue_messages gauge
// (issue 5 "Ops view"). A passive queue.declare answers with the queue's ready-message count
// exactly and at once (the management API's counters lag by seconds), and needs no extra
// permission or plugin.
//
// Threading: owns a librabbitmq connection, so one thread only: the scheduler role's loop.
// sample() blocks (bounded by the connection timeout per call). It connects on first use and
// again after any failure; it never throws: a queue that cannot be probed is left out and the
// problem logged once per failure streak.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "domain/non_copyable.hpp"

namespace kemas::config {
struct amqp_settings;
}

namespace kemas::amqp {
class connection;
class dead_letter_browser;
}

namespace kemas::worker {

// kemas.commands.<type> of every command type, kemas.delay.<bucket> of every bucket,
// kemas.dead-letters and kemas.events.audit.
std::vector<std::string> kemas_queue_names();

class queue_probe : kemas::non_copyable {
 public:
  // `settings` must outlive the probe.
  queue_probe(const config::amqp_settings& settings, std::vector<std::string> queues);
  ~queue_probe();

  // (queue, ready messages) of each queue that answered.
  std::vector<std::pair<std::string, std::uint32_t>> sample();

  // Seconds since the oldest letter in kemas.dead-letters was dead-lettered; nullopt when the
  // queue is empty, the letter carries no time, or the broker cannot be asked. The head letter
  // is fetched without an acknowledgement and put back at once (its own connection).
  std::optional<double> oldest_dead_letter_age();

 private:
  const config::amqp_settings& settings_;
  std::vector<std::string> queues_;
  std::unique_ptr<amqp::connection> connection_;
  std::unique_ptr<amqp::dead_letter_browser> dead_letters_;  // made on first use
  bool channel_open_ = false;
  bool failing_ = false;  // logged the current failure streak already
};

}  // namespace kemas::worker
