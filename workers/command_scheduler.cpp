#include "workers/command_scheduler.hpp"

#include "adapters/amqp/envelope_codec.hpp"
#include "adapters/amqp/publisher.hpp"
#include "adapters/amqp/topology.hpp"
#include "adapters/crypto/tokens.hpp"

#include <condition_variable>
#include <mutex>

namespace kemas::worker {
namespace {

domain::timestamp now_ms() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

// What the confirm callbacks of one batch report into; outlives them (schedule_all waits).
struct batch_state {
  std::mutex mutex;
  std::condition_variable changed;
  std::size_t in_flight = 0;
  batch_result result;
};

}  // namespace

amqp::outgoing_message scheduled_message(const domain::command_envelope& command,
                                         domain::timestamp due_at, domain::timestamp now) {
  amqp::outgoing_message message = amqp::command_message(command);
  if (auto bucket = amqp::pick_delay_bucket(due_at - now))
    message.exchange = amqp::delay_exchange(*bucket);
  return message;
}

std::string derived_command_id(std::string_view name) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string hex = crypto::sha256_hex(name).substr(0, 32);
  hex[12] = '8';  // version 8: custom
  const int variant_nibble = (hex[16] >= 'a' ? hex[16] - 'a' + 10 : hex[16] - '0');
  hex[16] = digits[(variant_nibble & 0x3) | 0x8];  // variant 10xx (RFC 9562)
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20, 12);
}

amqp_command_scheduler::amqp_command_scheduler(std::shared_ptr<amqp::amqp_publisher> publisher,
                                               std::size_t window)
    : publisher_(std::move(publisher)), window_(window == 0 ? 1 : window) {}

amqp::publish_result amqp_command_scheduler::schedule(const domain::command_envelope& command,
                                                      domain::timestamp due_at) {
  return publisher_->publish_sync(scheduled_message(command, due_at, now_ms()));
}

batch_result amqp_command_scheduler::schedule_all(std::span<const scheduled_command> commands) {
  batch_state state;
  for (const scheduled_command& item : commands) {
    {
      std::unique_lock lock(state.mutex);
      state.changed.wait(lock, [&] { return state.in_flight < window_; });
      ++state.in_flight;
    }
    std::string what = std::string(domain::to_string(item.command.type)) + " " + item.command.id;
    publisher_->async_publish(
        scheduled_message(item.command, item.due_at, now_ms()),
        [&state, what = std::move(what)](amqp::publish_result outcome) {
          // On the publisher's thread: record and wake, nothing more.
          std::lock_guard lock(state.mutex);
          --state.in_flight;
          if (outcome.ok()) {
            ++state.result.published;
          } else {
            if (state.result.failed++ == 0) {
              state.result.first_problem =
                  what + ": " + amqp::to_string(outcome.error) + ": " + outcome.detail;
            }
          }
          state.changed.notify_all();
        });
  }
  std::unique_lock lock(state.mutex);
  state.changed.wait(lock, [&] { return state.in_flight == 0; });
  return state.result;
}

}  // namespace kemas::worker
