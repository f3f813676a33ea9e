#pragma once
// Bookkeeping for publisher confirms on ONE channel, without any I/O (unit-tested alone).
// Delivery tags count from 1 per channel in publish order. The broker may confirm out of
// order and with `multiple` covering ranges (FACTS.md), so outstanding tags are a map, not a
// counter. A mandatory message that no queue takes comes back as basic.return (which carries
// no tag) just before its ack: it is matched to the oldest outstanding message with the same
// exchange, routing key and message id, and that message then completes as `returned`.
//
// Not thread-safe: owned by the actor thread that owns the channel. Completions are handed
// back to the caller to run (never run while the tracker is being modified).

#include "adapters/amqp/message.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kemas::amqp {

struct confirm_key {
  std::string exchange;
  std::string routing_key;
  std::string message_id;
  bool operator==(const confirm_key&) const = default;
};

class confirm_tracker {
 public:
  using clock = std::chrono::steady_clock;
  using completion = std::function<void(publish_result)>;

  struct finished {
    completion done;
    publish_result result;
  };

  // A new channel: forget nothing silently — call fail_all first — and count from 1 again.
  void reset() noexcept { next_tag_ = 1; }

  // Records the message just published; returns its delivery tag.
  std::uint64_t add(confirm_key key, completion done, clock::time_point deadline);

  void on_return(const confirm_key& key, std::string detail);
  std::vector<finished> on_ack(std::uint64_t tag, bool multiple);
  std::vector<finished> on_nack(std::uint64_t tag, bool multiple);
  // Completes every message whose deadline passed with publish_error::timeout; a later ack
  // for it is ignored.
  std::vector<finished> expire(clock::time_point now);
  std::vector<finished> fail_all(publish_error error, const std::string& detail);

  std::optional<clock::time_point> next_deadline() const;
  std::size_t size() const noexcept { return outstanding_.size(); }
  bool empty() const noexcept { return outstanding_.empty(); }

 private:
  struct entry {
    confirm_key key;
    completion done;
    clock::time_point deadline;
    std::optional<std::string> returned;  // reply text of basic.return
  };

  std::vector<finished> settle(std::uint64_t tag, bool multiple, bool ack);

  std::uint64_t next_tag_ = 1;
  std::map<std::uint64_t, entry> outstanding_;
};

}  // namespace kemas::amqp
