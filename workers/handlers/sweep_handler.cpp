#include "workers/handlers/sweep_handler.hpp"

#include "adapters/log/logging.hpp"
#include "workers/handlers/handler_steps.hpp"
#include "workers/handlers/scheduled_commands.hpp"

#include <vector>

namespace kemas::worker {

handler_result sweep_handler::apply(const commands::envelope& command,
                                    const commands::expire_sweep& sweep) {
  const auto started = std::chrono::steady_clock::now();
  const std::string_view request_id = command.request_id;
  ports::plan_command_store& store = *ports_.store;

  ports::sweep_start start;
  if (auto failed = guarded([&] { start = store.start_sweep(command.id); }, "expire-sweep: start"))
    return *failed;
  if (start.processed) {
    log::info("expire-sweep already done", {{"request_id", request_id}, {"command_id", command.id}});
    return handler_result::done();
  }

  std::optional<ports::due_account> after;
  std::size_t published = 0;
  for (;;) {
    std::vector<ports::due_account> page;
    if (auto failed = guarded([&] { page = store.due_accounts(start.cutoff_us, after, page_size_); },
                              "expire-sweep: due accounts"))
      return *failed;
    if (page.empty())
      break;
    std::vector<ports::scheduled_command> batch;
    batch.reserve(page.size());
    for (const ports::due_account& account : page) {
      batch.push_back({make_expire_command(account.user_id, account.due_at, command.request_id),
                       account.due_at});
    }
    const ports::batch_result sent = ports_.scheduler->schedule_all(batch);
    published += sent.published;
    if (!sent.ok()) {
      return handler_result::retry("expire-sweep: " + std::to_string(sent.failed) + " of " +
                                   std::to_string(batch.size()) +
                                   " expire commands not published: " + sent.first_problem);
    }
    if (page.size() < page_size_)
      break;
    after = page.back();
  }

  if (auto failed = guarded([&] { store.record(command.id, "swept"); }, "expire-sweep: record"))
    return *failed;
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  log::info("expire-sweep done", {{"request_id", request_id},
                                  {"command_id", command.id},
                                  {"slot", sweep.slot.value_or(-1)},
                                  {"expire_published", published},
                                  {"duration_ms", static_cast<std::int64_t>(elapsed.count())}});
  return handler_result::done();
}

}  // namespace kemas::worker
