#include "workers/handlers/sweep_handler.hpp"

#include "adapters/log/logging.hpp"
#include "workers/handlers/file_ports.hpp"
#include "workers/handlers/file_store_tx.hpp"
#include "workers/handlers/plan_store_tx.hpp"

#include <vector>

namespace kemas::worker {

handler_result sweep_handler::handle(const domain::command_envelope& command) {
  auto parsed = parse_sweep_payload(command);
  if (!parsed)
    return handler_result::reject(parsed.error().reason);
  const auto started = std::chrono::steady_clock::now();
  const std::string_view request_id = command.request_id;

  bool processed = false;
  std::int64_t cutoff_us = 0;
  auto begin = [&](soci::session& sql) {
    processed = command_processed(sql, command.id);
    cutoff_us = database_now_us(sql);
  };
  if (auto failed = run_transaction(*ports_.db, begin, "expire-sweep: start"))
    return *failed;
  if (processed) {
    log::info("expire-sweep already done", {{"request_id", request_id}, {"command_id", command.id}});
    return handler_result::done();
  }

  std::optional<due_account> after;
  std::size_t published = 0;
  for (;;) {
    std::vector<due_account> page;
    auto read = [&](soci::session& sql) { page = due_accounts(sql, cutoff_us, after, page_size_); };
    if (auto failed = run_transaction(*ports_.db, read, "expire-sweep: due accounts"))
      return *failed;
    if (page.empty())
      break;
    std::vector<scheduled_command> batch;
    batch.reserve(page.size());
    for (const due_account& account : page) {
      batch.push_back({make_expire_command(account.user_id, account.due_at, command.request_id),
                       account.due_at});
    }
    const batch_result sent = ports_.scheduler->schedule_all(batch);
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

  auto finish = [&](soci::session& sql) { record_plan_command(sql, command.id, "swept"); };
  if (auto failed = run_transaction(*ports_.db, finish, "expire-sweep: record"))
    return *failed;
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  log::info("expire-sweep done", {{"request_id", request_id},
                                  {"command_id", command.id},
                                  {"slot", parsed->slot.value_or(-1)},
                                  {"expire_published", published},
                                  {"duration_ms", static_cast<std::int64_t>(elapsed.count())}});
  return handler_result::done();
}

}  // namespace kemas::worker
