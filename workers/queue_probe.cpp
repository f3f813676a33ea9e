#include "workers/queue_probe.hpp"

#include "adapters/amqp/connection.hpp"
#include "adapters/amqp/dead_letter_browser.hpp"
#include "adapters/amqp/topology.hpp"
#include "adapters/log/logging.hpp"
#include "domain/rfc3339.hpp"

#include <algorithm>
#include <chrono>

#include <unistd.h>

namespace kemas::worker {
namespace {

constexpr amqp_channel_t probe_channel = 1;

}  // namespace

std::vector<std::string> kemas_queue_names() {
  std::vector<std::string> names;
  for (commands::command_type type : commands::all_command_types)
    names.push_back(amqp::command_queue(type));
  for (const amqp::delay_bucket& bucket : amqp::delay_buckets)
    names.push_back(amqp::delay_exchange(bucket));  // each bucket's queue has its name
  names.emplace_back(amqp::names::dead_letter_queue);
  names.emplace_back(amqp::names::audit_queue);
  return names;
}

queue_probe::queue_probe(const config::amqp_settings& settings, std::vector<std::string> queues)
    : settings_(settings), queues_(std::move(queues)) {}

queue_probe::~queue_probe() = default;

std::optional<double> queue_probe::oldest_dead_letter_age() {
  try {
    if (!dead_letters_)
      dead_letters_ = std::make_unique<amqp::dead_letter_browser>(settings_);
    const auto head = dead_letters_->take(1);
    dead_letters_->release();
    if (head.empty())
      return std::nullopt;
    const auto at = parse_rfc3339(head.front().dead_lettered_at);
    if (!at)
      return std::nullopt;
    const auto age = std::chrono::system_clock::now() - *at;
    return std::max(0.0, std::chrono::duration<double>(age).count());
  } catch (const std::exception& e) {
    log::debug("dead letter age not sampled", {{"error", e.what()}});
    dead_letters_.reset();  // connect again next time
    return std::nullopt;
  }
}

std::vector<std::pair<std::string, std::uint32_t>> queue_probe::sample() {
  std::vector<std::pair<std::string, std::uint32_t>> out;
  for (const std::string& queue : queues_) {
    try {
      if (!connection_ || connection_->broken()) {
        connection_.reset();
        channel_open_ = false;
        connection_ = std::make_unique<amqp::connection>(amqp::make_connection_options(
            settings_, "kemas-worker queue probe pid " + std::to_string(::getpid())));
      }
      if (!channel_open_) {
        connection_->open_channel(probe_channel);
        channel_open_ = true;
      }
      const auto* ok = amqp_queue_declare(connection_->state(), probe_channel,
                                          amqp::as_bytes(queue), /*passive=*/1, 0, 0, 0,
                                          amqp_empty_table);
      connection_->check(amqp_get_rpc_reply(connection_->state()), probe_channel,
                         "passive declare " + queue);
      out.emplace_back(queue, ok->message_count);
    } catch (const amqp::amqp_failure& e) {
      if (!failing_)
        log::warn("queue probe failed", {{"queue", queue}, {"error", e.what()}});
      failing_ = true;
      // A missing queue closes only the channel (404): go on with the next queue. Without a
      // connection the other queues cannot answer either: try again next time.
      channel_open_ = false;
      if (!connection_ || e.connection_lost() || connection_->broken()) {
        connection_.reset();
        break;
      }
    }
  }
  if (out.size() == queues_.size())
    failing_ = false;
  return out;
}

}  // namespace kemas::worker
