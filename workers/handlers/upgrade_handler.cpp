#include "workers/handlers/upgrade_handler.hpp"

#include "adapters/log/logging.hpp"
#include "domain/model/plan.hpp"
#include "workers/handlers/handler_steps.hpp"
#include "workers/handlers/scheduled_commands.hpp"

namespace kemas::worker {
namespace {

// Publishes the account's expire for `expires_at` through the delay queues.
std::optional<handler_result> schedule_expire(const plan_ports& ports,
                                              const commands::envelope& upgrade, const uuid& user,
                                              timestamp expires_at) {
  const auto expire = make_expire_command(user, expires_at, upgrade.request_id);
  const ports::publish_outcome published = ports.scheduler->schedule(expire, expires_at);
  if (!published.ok)
    return handler_result::retry("upgrade: scheduling the expire failed: " + published.problem);
  log::info("expire scheduled", {{"request_id", upgrade.request_id},
                                 {"command_id", expire.id},
                                 {"user_id", user.to_string()},
                                 {"due_at", format_rfc3339(expires_at)}});
  return std::nullopt;
}

}  // namespace

std::optional<handler_result> upgrade_handler::settle(const commands::envelope& envelope,
                                                      const commands::upgrade& upgrade,
                                                      const ports::plan_terms& plan,
                                                      ports::upgrade_commit& commit) {
  ports::plan_command_store& store = *ports_.store;
  auto fail = [&](const std::string& reason) {
    return guarded([&] { commit = store.fail_order(envelope, upgrade, plan, reason); },
                   "upgrade: recording the failed order");
  };
  // 'free' is the fallback every account returns to; a plan without a duration never ends.
  if (!model::is_purchasable(plan.name, plan.duration_seconds))
    return fail("plan_not_purchasable");

  const ports::payment_request request{upgrade.order_id.to_string(), upgrade.buyer.to_string(),
                                       upgrade.plan, plan.price_cents, plan.currency};
  const ports::payment_outcome payment = ports_.payments->charge(request);
  switch (payment.what) {
    case ports::payment_outcome::status::paid:
      return guarded(
          [&] { commit = store.pay_order(envelope, upgrade, plan, payment.reference); },
          "upgrade: recording the paid order");
    case ports::payment_outcome::status::declined:
      return fail("payment_declined: " + payment.reason);
    case ports::payment_outcome::status::unavailable:
      break;
  }
  return handler_result::retry("upgrade: payment provider " + std::string(ports_.payments->name()) +
                               " unavailable: " + payment.reason);
}

handler_result upgrade_handler::apply(const commands::envelope& envelope,
                                      const commands::upgrade& upgrade) {
  ports::upgrade_start start;
  if (auto failed = guarded([&] { start = ports_.store->start_upgrade(envelope, upgrade); },
                            "upgrade: start"))
    return *failed;

  const std::string order_id = upgrade.order_id.to_string();
  ports::upgrade_commit commit;
  switch (start.what) {
    case ports::upgrade_start::kind::no_user:
      return handler_result::reject("upgrade: the buyer " + upgrade.buyer.to_string() +
                                    " does not exist");
    case ports::upgrade_start::kind::no_plan:
      return handler_result::reject("upgrade: there is no plan named '" + upgrade.plan + "'");
    case ports::upgrade_start::kind::already_processed:
      commit.what = ports::upgrade_commit::kind::already_processed;
      commit.expires_at = start.bought_until;
      break;
    case ports::upgrade_start::kind::ready:
      if (auto settled = settle(envelope, upgrade, start.plan, commit))
        return *settled;
      break;
  }

  switch (commit.what) {
    case ports::upgrade_commit::kind::no_user:
      return handler_result::reject("upgrade: the buyer " + upgrade.buyer.to_string() +
                                    " does not exist");
    case ports::upgrade_commit::kind::failed:
      log::info("upgrade failed; order recorded as failed", {{"request_id", envelope.request_id},
                                                             {"command_id", envelope.id},
                                                             {"order_id", order_id},
                                                             {"plan", upgrade.plan}});
      return handler_result::done();
    case ports::upgrade_commit::kind::already_processed:
      log::info("upgrade already processed", {{"request_id", envelope.request_id},
                                              {"command_id", envelope.id},
                                              {"order_id", order_id}});
      break;
    case ports::upgrade_commit::kind::paid:
      log::info("plan upgraded", {{"request_id", envelope.request_id},
                                  {"command_id", envelope.id},
                                  {"order_id", order_id},
                                  {"user_id", upgrade.buyer.to_string()},
                                  {"plan", upgrade.plan},
                                  {"expires_at", format_rfc3339(*commit.expires_at)},
                                  {"unlocked", commit.unlocked}});
      break;
  }
  if (commit.expires_at) {
    if (auto failed = schedule_expire(ports_, envelope, upgrade.buyer, *commit.expires_at))
      return *failed;
  }
  return handler_result::done();
}

}  // namespace kemas::worker
