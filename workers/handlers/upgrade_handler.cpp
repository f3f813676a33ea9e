#include "workers/handlers/upgrade_handler.hpp"

#include "adapters/amqp/message.hpp"
#include "adapters/log/logging.hpp"
#include "domain/rfc3339.hpp"
#include "workers/handlers/file_ports.hpp"
#include "workers/handlers/plan_store_tx.hpp"

namespace kemas::worker {
namespace {

// Publishes the account's expire for `expires_at` through the delay queues.
std::optional<handler_result> schedule_expire(const plan_ports& ports,
                                              const domain::command_envelope& upgrade,
                                              const std::string& user_id,
                                              domain::timestamp expires_at) {
  const auto expire = make_expire_command(user_id, expires_at, upgrade.request_id);
  const amqp::publish_result published = ports.scheduler->schedule(expire, expires_at);
  if (!published.ok()) {
    return handler_result::retry("upgrade: scheduling the expire failed: " +
                                 std::string(amqp::to_string(published.error)) + ": " +
                                 published.detail);
  }
  log::info("expire scheduled", {{"request_id", upgrade.request_id},
                                 {"command_id", expire.id},
                                 {"user_id", user_id},
                                 {"due_at", format_rfc3339(expires_at)}});
  return std::nullopt;
}

}  // namespace

handler_result upgrade_handler::handle(const domain::command_envelope& command) {
  auto parsed = parse_upgrade_payload(command);
  if (!parsed)
    return handler_result::reject(parsed.error().reason);
  const upgrade_payload& upgrade = *parsed;

  upgrade_commit commit;
  auto apply = [&](soci::session& sql) {
    commit = apply_upgrade(sql, command, upgrade, *ports_.payments);
  };
  if (auto failed = run_transaction(*ports_.db, apply, "upgrade: commit"))
    return *failed;

  using kind = upgrade_commit::kind;
  switch (commit.what) {
    case kind::no_user:
      return handler_result::reject("upgrade: the buyer " + upgrade.user_id + " does not exist");
    case kind::no_plan:
      return handler_result::reject("upgrade: there is no plan named '" + upgrade.plan + "'");
    case kind::payment_unavailable:
      return handler_result::retry("upgrade: payment provider " +
                                   std::string(ports_.payments->name()) +
                                   " unavailable: " + commit.reason);
    case kind::failed:
      log::info("upgrade failed; order recorded as failed", {{"request_id", command.request_id},
                                                             {"command_id", command.id},
                                                             {"order_id", upgrade.order_id},
                                                             {"plan", upgrade.plan},
                                                             {"reason", commit.reason}});
      return handler_result::done();
    case kind::already_processed:
      log::info("upgrade already processed", {{"request_id", command.request_id},
                                              {"command_id", command.id},
                                              {"order_id", upgrade.order_id}});
      break;
    case kind::paid:
      log::info("plan upgraded", {{"request_id", command.request_id},
                                  {"command_id", command.id},
                                  {"order_id", upgrade.order_id},
                                  {"user_id", upgrade.user_id},
                                  {"plan", upgrade.plan},
                                  {"expires_at", format_rfc3339(*commit.expires_at)},
                                  {"unlocked", commit.unlocked}});
      break;
  }
  if (commit.expires_at) {
    if (auto failed = schedule_expire(ports_, command, upgrade.user_id, *commit.expires_at))
      return *failed;
  }
  return handler_result::done();
}

}  // namespace kemas::worker
