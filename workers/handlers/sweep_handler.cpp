#include "workers/handlers/sweep_handler.hpp"

#include "adapters/log/logging.hpp"
#include "workers/handlers/handler_steps.hpp"
#include "workers/handlers/scheduled_commands.hpp"

#include <vector>

namespace kemas::worker {

std::optional<handler_result> sweep_handler::apply_page(
    const commands::envelope& sweep_command, const std::vector<ports::due_account>& page,
    page_outcome& outcome) {
  std::vector<commands::envelope> expires;
  expires.reserve(page.size());
  for (const ports::due_account& account : page)
    expires.push_back(make_expire_command(account.user_id, account.due_at, sweep_command.request_id));

  const std::vector<handler_result> results = expiries_.handle_group(expires);
  std::vector<ports::scheduled_command> hand_over;
  std::optional<handler_result> transient;
  for (std::size_t i = 0; i < results.size(); ++i) {
    switch (results[i].what) {
      case handler_result::outcome::done:
        ++outcome.applied;
        break;
      case handler_result::outcome::retry:
        if (!transient)
          transient = handler_result::retry("expire-sweep: " + results[i].reason);
        break;
      case handler_result::outcome::reject:
        log::warn("expire-sweep: an account the group cannot settle goes to the queue alone",
                  {{"request_id", sweep_command.request_id},
                   {"command_id", expires[i].id},
                   {"user_id", page[i].user_id.to_string()},
                   {"reason", results[i].reason}});
        hand_over.push_back({expires[i], page[i].due_at});
        break;
    }
  }
  if (!hand_over.empty()) {
    const ports::batch_result sent = ports_.scheduler->schedule_all(hand_over);
    outcome.handed_over += sent.published;
    if (!sent.ok()) {
      return handler_result::retry("expire-sweep: " + std::to_string(sent.failed) + " of " +
                                   std::to_string(hand_over.size()) +
                                   " expire commands not published: " + sent.first_problem);
    }
  }
  // A transient fault (the database failing, not one account): the sweep's own delivery
  // retries with the dispatcher's backoff; what this page settled is recorded and skipped.
  return transient;
}

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
  page_outcome outcome;
  for (;;) {
    std::vector<ports::due_account> page;
    if (auto failed = guarded([&] { page = store.due_accounts(start.cutoff_us, after, page_size_); },
                              "expire-sweep: due accounts"))
      return *failed;
    if (page.empty())
      break;
    if (auto failed = apply_page(command, page, outcome))
      return *failed;
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
                                  {"expire_applied", static_cast<std::int64_t>(outcome.applied)},
                                  {"expire_handed_over", static_cast<std::int64_t>(outcome.handed_over)},
                                  {"duration_ms", static_cast<std::int64_t>(elapsed.count())}});
  return handler_result::done();
}

}  // namespace kemas::worker
