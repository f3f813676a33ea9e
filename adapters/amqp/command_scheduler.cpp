#include "adapters/amqp/command_scheduler.hpp"

#include "adapters/amqp/command_message.hpp"
#include "adapters/amqp/publisher.hpp"
#include "adapters/amqp/topology.hpp"

#include <condition_variable>
#include <mutex>

namespace kemas::amqp {
namespace {

timestamp now_ms() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

// What the confirm callbacks of one batch report into; outlives them (schedule_all waits).
struct batch_state {
  std::mutex mutex;
  std::condition_variable changed;
  std::size_t in_flight = 0;
  ports::batch_result result;
};

}  // namespace

std::string describe(const publish_result& outcome) {
  return std::string(to_string(outcome.error)) + ": " + outcome.detail;
}

outgoing_message scheduled_message(const commands::envelope& command, timestamp due_at,
                                   timestamp now) {
  outgoing_message message = command_message(command);
  if (auto bucket = pick_delay_bucket(due_at - now))
    message.exchange = delay_exchange(*bucket);
  return message;
}

amqp_command_scheduler::amqp_command_scheduler(std::shared_ptr<amqp_publisher> publisher,
                                               std::size_t window)
    : publisher_(std::move(publisher)), window_(window == 0 ? 1 : window) {}

ports::publish_outcome amqp_command_scheduler::schedule(const commands::envelope& command,
                                                        timestamp due_at) {
  const publish_result published =
      publisher_->publish_sync(scheduled_message(command, due_at, now_ms()));
  if (published.ok())
    return {};
  return {false, describe(published)};
}

ports::batch_result amqp_command_scheduler::schedule_all(
    std::span<const ports::scheduled_command> batch) {
  batch_state state;
  for (const ports::scheduled_command& item : batch) {
    {
      std::unique_lock lock(state.mutex);
      state.changed.wait(lock, [&] { return state.in_flight < window_; });
      ++state.in_flight;
    }
    std::string what = std::string(commands::to_string(item.command.type)) + " " + item.command.id;
    publisher_->async_publish(scheduled_message(item.command, item.due_at, now_ms()),
                              [&state, what = std::move(what)](publish_result outcome) {
                                // On the publisher's thread: record and wake, nothing more.
                                std::lock_guard lock(state.mutex);
                                --state.in_flight;
                                if (outcome.ok()) {
                                  ++state.result.published;
                                } else if (state.result.failed++ == 0) {
                                  state.result.first_problem = what + ": " + describe(outcome);
                                }
                                state.changed.notify_all();
                              });
  }
  std::unique_lock lock(state.mutex);
  state.changed.wait(lock, [&] { return state.in_flight == 0; });
  return state.result;
}

}  // namespace kemas::amqp
