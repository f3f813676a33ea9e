#pragma once
// Test helpers for RabbitMQ: settings from the KEMAS_AMQP_* environment written by
// scripts/services.sh (.run/env), unique ids, and a reader that takes only this test's
// messages out of a shared queue (other tests' messages stay where they are).

#include "adapters/amqp/message.hpp"
#include "adapters/config/settings.hpp"

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kemas::test {

// KEMAS_AMQP_HOST, _PORT, _USER, _PASSWORD, _MANAGEMENT_URL from the environment, else from
// <source dir>/.run/env. Short reconnect and confirm timeouts for tests. Throws
// std::runtime_error naming a missing variable.
config::amqp_settings amqp_settings_from_env();

// Every KEY=VALUE of <source dir>/.run/env (empty when the file is missing): the environment
// a child kemas process needs to reach the development servers.
std::vector<std::pair<std::string, std::string>> run_env_file();

// "<tag>-<32 random hex digits>"
std::string unique_id(std::string_view tag);

// Consumes `queue` on a connection of its own (on the calling thread) and acks every message
// for which `match` returns true, until `count` matched or `timeout` passed. Messages that do
// not match stay unacknowledged and return to the queue when the reader closes.
std::vector<amqp::delivery> take_matching(const config::amqp_settings& settings,
                                          const std::string& queue,
                                          const std::function<bool(const amqp::delivery&)>& match,
                                          std::size_t count, std::chrono::milliseconds timeout);

// Ready messages in `queue` right now (passive queue.declare: exact, unlike the management
// API's counters, which lag by seconds).
std::uint32_t queue_depth(const config::amqp_settings& settings, const std::string& queue);

// Convenience matcher: message_id equal to one of `ids`.
std::function<bool(const amqp::delivery&)> message_id_in(std::vector<std::string> ids);

// A header's value as text (integers in decimal), "<absent>" when there is none.
std::string header_text(const amqp::header_map& headers, std::string_view key);
inline std::string header_text(const amqp::delivery& d, std::string_view key) {
  return header_text(d.headers, key);
}

}  // namespace kemas::test
