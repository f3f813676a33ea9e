#include "workers/handlers/expire_handler.hpp"

#include "adapters/log/logging.hpp"
#include "domain/rfc3339.hpp"
#include "workers/handlers/handler_steps.hpp"

#include <optional>
#include <set>

namespace kemas::worker {

void expire_handler::count(std::string_view outcome) const {
  if (ports_.count_expiry)
    ports_.count_expiry(outcome);
}

handler_result expire_handler::redelay(const commands::envelope& command,
                                       timestamp due_at, timestamp now) const {
  const ports::publish_outcome published = ports_.scheduler->schedule(command, due_at);
  if (!published.ok)
    return handler_result::retry("expire: re-delaying failed: " + published.problem);
  count("not_due");
  log::debug("expire not due yet; re-delayed",
             {{"request_id", command.request_id},
              {"command_id", command.id},
              {"due_at", format_rfc3339(due_at)},
              {"remaining_ms", static_cast<std::int64_t>((due_at - now).count())}});
  return handler_result::done();
}

handler_result expire_handler::apply(const commands::envelope& command,
                                     const commands::expire& expire) {
  const timestamp now = ports_.now();
  if (now < expire.due_at)
    return redelay(command, expire.due_at, now);

  ports::expiry_commit commit;
  if (auto failed = guarded([&] { commit = ports_.store->apply_expiry(command, expire); },
                            "expire: commit"))
    return *failed;
  return conclude(command, expire, commit, now);
}

handler_result expire_handler::conclude(const commands::envelope& command,
                                        const commands::expire& expire,
                                        const ports::expiry_commit& commit, timestamp now) {
  const std::string_view request_id = command.request_id;
  switch (commit.what) {
    case ports::expiry_commit::kind::no_user:
      log::warn("expire for an account that does not exist; nothing to do",
                {{"request_id", request_id}, {"command_id", command.id}, {"user_id", expire.user_id.to_string()}});
      return handler_result::done();
    case ports::expiry_commit::kind::already_processed:
      log::info("expire already processed", {{"request_id", request_id}, {"command_id", command.id}});
      return handler_result::done();
    case ports::expiry_commit::kind::decided:
      break;
  }
  switch (commit.decision.action) {
    case expiry_action::not_yet:
      return redelay(command, now + commit.decision.remaining, now);
    case expiry_action::renewed:
      count("renewed");
      log::info("expire: renewed meanwhile; nothing to do",
                {{"request_id", request_id}, {"command_id", command.id}, {"user_id", expire.user_id.to_string()}});
      return handler_result::done();
    case expiry_action::already_free:
      count("already_free");
      log::info("expire: account already free; nothing to do",
                {{"request_id", request_id}, {"command_id", command.id}, {"user_id", expire.user_id.to_string()}});
      return handler_result::done();
    case expiry_action::downgrade:
      break;
  }
  count("downgraded");
  log::info("plan expired; account downgraded to free", {{"request_id", request_id},
                                                         {"command_id", command.id},
                                                         {"user_id", expire.user_id.to_string()},
                                                         {"from_plan", commit.from_plan},
                                                         {"locked", commit.locked},
                                                         {"unlocked", commit.unlocked},
                                                         {"used_bytes", commit.used_bytes},
                                                         {"quota_bytes", commit.quota_bytes}});
  return handler_result::done();
}

std::vector<handler_result> expire_handler::handle_group(
    std::span<const commands::envelope> commands) {
  std::vector<std::optional<handler_result>> results(commands.size());
  std::vector<commands::expire> decoded(commands.size());
  std::vector<ports::expiry_member> group;
  std::vector<std::size_t> in_group;  // member -> index in `commands`
  std::set<uuid> accounts;
  const timestamp now = ports_.now();
  for (std::size_t i = 0; i < commands.size(); ++i) {
    auto payload = commands::decode_as<commands::expire>(commands[i]);
    if (!payload) {
      results[i] = handler_result::reject(payload.error().reason);
      continue;
    }
    decoded[i] = std::move(*payload);
    // Not due yet, or an account already in the group: the single path, below.
    if (now < decoded[i].due_at || !accounts.insert(decoded[i].user_id).second)
      continue;
    in_group.push_back(i);
  }
  for (std::size_t i : in_group)
    group.push_back({&commands[i], &decoded[i]});

  if (group.size() > 1) {
    std::vector<ports::expiry_commit> commits;
    const auto failed = guarded([&] { commits = ports_.store->apply_expiries(group); },
                                "expire: group commit");
    if (!failed) {
      for (std::size_t m = 0; m < in_group.size(); ++m) {
        const std::size_t i = in_group[m];
        results[i] = conclude(commands[i], decoded[i], commits[m], now);
      }
    } else {
      log::warn("expire: group commit failed; applying its commands one by one",
                {{"commands", static_cast<std::int64_t>(group.size())},
                 {"reason", failed->reason}});
    }
  }
  std::vector<handler_result> out;
  out.reserve(commands.size());
  for (std::size_t i = 0; i < commands.size(); ++i)
    out.push_back(results[i] ? std::move(*results[i]) : apply(commands[i], decoded[i]));
  return out;
}

}  // namespace kemas::worker
