#pragma once
// dead_letter_browser: kemas.dead-letters as an operator sees it (kemas-admin dlq). Blocking,
// one connection and one channel of its own; for the CLI, never an I/O thread.
//
// take() fetches dead letters with basic.get WITHOUT acknowledging them: they stay the
// browser's until acknowledge() removes one or the browser is destroyed (the channel closes
// and the broker puts every unacknowledged letter back). So listing never loses a letter, and
// a replay acknowledges a letter only after its copy was confirmed by the broker.
// Throws amqp_failure when the broker cannot be reached or refuses.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "adapters/amqp/message.hpp"
#include "domain/non_copyable.hpp"

namespace kemas::config {
struct amqp_settings;
}

namespace kemas::amqp {

class connection;

struct dead_letter {
  std::uint64_t delivery_tag = 0;  // on the browser's channel
  std::string message_id;          // a command's id, an event's id
  std::string type;                // the command or event type (the `type` property)
  std::string routing_key;         // as first published (the command type, the event type)
  std::string reason;              // x-kemas-reason, else the broker's x-first-death-reason
  std::string source_queue;        // x-kemas-source-queue, else x-first-death-queue
  std::string dead_lettered_at;    // RFC 3339: x-kemas-dead-lettered-at, else the broker's
                                   // x-death time (whole seconds)
  std::string correlation_id;
  header_map headers;
  std::string body;
};

class dead_letter_browser : kemas::non_copyable {
 public:
  explicit dead_letter_browser(const config::amqp_settings& settings);
  ~dead_letter_browser();

  // Up to `limit` more letters, oldest first; fewer when the queue has no more.
  std::vector<dead_letter> take(std::size_t limit);
  // Removes a taken letter from the queue for good.
  void acknowledge(const dead_letter& letter);
  // Removes every letter not taken by anyone; returns how many.
  std::size_t purge();
  // Puts every taken, unacknowledged letter back (the channel is closed and reopened).
  void release();

 private:
  std::unique_ptr<connection> conn_;
};

}  // namespace kemas::amqp
