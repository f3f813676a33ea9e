#include "adapters/postgres/commands/plan_command_store.hpp"

#include <soci/soci.h>

#include <stdexcept>

#include "adapters/postgres/commands/command_tx.hpp"
#include "adapters/postgres/commands/expiry_group.hpp"
#include "adapters/postgres/prepared.hpp"
#include "adapters/postgres/repositories/query.hpp"

namespace kemas::postgres {
namespace {

using command_tx::from_ms;
using ports::upgrade_commit;

long long rows_epoch_ms(timestamp t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// Every statement of the plan commands is prepared (prepared.hpp): planned once per
// connection, not on each call.

// The account under a row lock, with its stored plan, its standing and the plan's id. $1 user.
const prepared_statement lock_user_statement{
    "kemas_plan_lock_user",
    "SELECT " KEMAS_PLAN_STANDING_COLUMNS ", u.plan_id "
    "FROM users u JOIN plans p ON p.id = u.plan_id "
    "WHERE u.id = CAST($1 AS uuid) FOR NO KEY UPDATE OF u"};

// $1 user.
const prepared_statement user_exists{"kemas_plan_user_exists",
                                     "SELECT count(*) FROM users WHERE id = CAST($1 AS uuid)"};

// $1 plan name.
const prepared_statement plan_by_name_statement{
    "kemas_plan_by_name",
    "SELECT id, name, quota_bytes, price_cents, currency, COALESCE(duration_seconds, 0) "
    "FROM plans WHERE name = $1"};

// An order with the payload's id exists: the upgrade ran before (under another command id if
// the api republished it). Its expires_at is what a paid order bought. $1 order.
const prepared_statement order_statement{
    "kemas_plan_order",
    "SELECT state, CASE WHEN expires_at IS NULL THEN 0 ELSE 1 END, "
    "       COALESCE(ceil(extract(epoch FROM expires_at) * 1000)::bigint, 0) "
    "FROM orders WHERE id = CAST($1 AS uuid)"};

// An active subscription to the same plan is extended from its current end, anything else
// starts now. Stored at millisecond precision so the scheduled expire's due_at is exact.
// $1 user, $2 plan, $3 duration in seconds.
const prepared_statement set_plan{
    "kemas_plan_set",
    "UPDATE users SET plan_id = $2, plan_expires_at = date_trunc('milliseconds', "
    "  CASE WHEN plan_id = $2 AND plan_expires_at > now() THEN plan_expires_at "
    "       ELSE now() END + CAST($3 AS bigint) * interval '1 second') "
    "WHERE id = CAST($1 AS uuid) "
    "RETURNING ceil(extract(epoch FROM plan_expires_at) * 1000)::bigint"};

// An admin's assignment: the plan and the end exactly as given (milliseconds), or no end
// (NULL). $1 user, $2 plan, $3 end in ms or NULL.
const prepared_statement assign_plan_statement{
    "kemas_plan_assign",
    "UPDATE users SET plan_id = $2, plan_expires_at = "
    "  timestamptz 'epoch' + CAST($3 AS bigint) * interval '1 millisecond' "
    "WHERE id = CAST($1 AS uuid)"};

// $1 order, $2 user, $3 plan, $4 amount, $5 currency.
const prepared_statement insert_paid_order{
    "kemas_plan_order_paid",
    "INSERT INTO orders (id, user_id, plan_id, amount_cents, currency, state, expires_at) "
    "SELECT CAST($1 AS uuid), u.id, CAST($3 AS integer), CAST($4 AS bigint), CAST($5 AS text), "
    "       'paid', u.plan_expires_at "
    "FROM users u WHERE u.id = CAST($2 AS uuid)"};

// $1 order, $2 user, $3 plan, $4 amount, $5 currency, $6 reason.
const prepared_statement insert_failed_order{
    "kemas_plan_order_failed",
    "INSERT INTO orders (id, user_id, plan_id, amount_cents, currency, state, reason) "
    "VALUES (CAST($1 AS uuid), CAST($2 AS uuid), $3, $4, $5, 'failed', $6)"};

// $1 user, $2 the free plan.
const prepared_statement downgrade{
    "kemas_plan_downgrade",
    "UPDATE users SET plan_id = $2, plan_expires_at = NULL WHERE id = CAST($1 AS uuid)"};

const prepared_statement now_us_statement{
    "kemas_plan_now_us", "SELECT (extract(epoch FROM now()) * 1000000)::bigint"};

#define KEMAS_DUE_COLUMNS                                                       \
  "SELECT id::text, ceil(extract(epoch FROM plan_expires_at) * 1000)::bigint, " \
  "       (extract(epoch FROM plan_expires_at) * 1000000)::bigint FROM users "
#define KEMAS_DUE_CUTOFF                                                          \
  "WHERE plan_expires_at <= timestamptz 'epoch' + CAST($1 AS bigint) * interval " \
  "'1 microsecond' "

// $1 cutoff in µs, $2 rows.
const prepared_statement due_first_page{
    "kemas_plan_due_first",
    KEMAS_DUE_COLUMNS KEMAS_DUE_CUTOFF "ORDER BY plan_expires_at, id LIMIT $2"};

// $1 cutoff in µs, $2 rows, $3 and $4 the previous page's last expiry in µs and id.
const prepared_statement due_next_page{
    "kemas_plan_due_next",
    KEMAS_DUE_COLUMNS KEMAS_DUE_CUTOFF
    "AND (plan_expires_at, id) > (timestamptz 'epoch' + CAST($3 AS bigint) * "
    "     interval '1 microsecond', CAST($4 AS uuid)) "
    "ORDER BY plan_expires_at, id LIMIT $2"};

#undef KEMAS_DUE_COLUMNS
#undef KEMAS_DUE_CUTOFF

struct locked_user : command_tx::plan_standing {
  int plan_id = 0;
};

std::optional<locked_user> lock_user(soci::session& sql, const uuid& user) {
  const prepared_rows row = execute(sql, lock_user_statement, user);
  if (row.size() == 0)
    return std::nullopt;
  locked_user out{command_tx::read_plan_standing(row, 0, 0)};
  out.plan_id = static_cast<int>(row.int64(0, command_tx::plan_standing_column_count));
  return out;
}

std::optional<ports::plan_terms> plan_by_name(soci::session& sql, const std::string& name) {
  const prepared_rows row = execute(sql, plan_by_name_statement, name);
  if (row.size() == 0)
    return std::nullopt;
  ports::plan_terms plan;
  plan.id = static_cast<int>(row.int64(0, 0));
  plan.name = row.text(0, 1);
  plan.quota_bytes = row.int64(0, 2);
  plan.price_cents = row.int64(0, 3);
  plan.currency = row.text(0, 4);
  const long long duration = row.int64(0, 5);
  if (duration > 0)
    plan.duration_seconds = duration;
  return plan;
}

// The order with this id, if any, and what it bought when it was paid.
struct order_found {
  std::string state;
  std::optional<timestamp> bought_until;
};

std::optional<order_found> find_order(soci::session& sql, const uuid& order) {
  const prepared_rows row = execute(sql, order_statement, order);
  if (row.size() == 0)
    return std::nullopt;
  order_found out;
  out.state = row.text(0, 0);
  if (out.state == "paid" && row.int64(0, 1) != 0)
    out.bought_until = from_ms(row.int64(0, 2));
  return out;
}

// Under the buyer's lock: the command (or its order) ran before, or the buyer is gone.
std::optional<upgrade_commit> settled_before(soci::session& sql, const commands::envelope& envelope,
                                             const commands::upgrade& upgrade,
                                             const std::optional<locked_user>& buyer) {
  if (!buyer)
    return upgrade_commit{.what = upgrade_commit::kind::no_user};
  const auto order = find_order(sql, upgrade.order_id);
  if (!order && !command_tx::processed(sql, envelope.id))
    return std::nullopt;
  upgrade_commit out{.what = upgrade_commit::kind::already_processed};
  out.from_plan = buyer->plan_name;
  if (order)
    out.expires_at = order->bought_until;
  return out;
}

// One order's writes (`record`), under the buyer's row lock, unless another copy of the
// command got there first; one transaction.
template <class Record>
upgrade_commit record_order(soci::session& sql, const commands::envelope& envelope,
                            const commands::upgrade& upgrade, Record record) {
  soci::transaction tx(sql);
  const auto buyer = lock_user(sql, upgrade.buyer);
  if (auto before = settled_before(sql, envelope, upgrade, buyer))
    return *before;
  const std::string order_id = upgrade.order_id.to_string();
  upgrade_commit out = record(buyer->plan_name, upgrade.buyer.to_string(), order_id);
  out.from_plan = buyer->plan_name;
  command_tx::signal_settled(sql, order_id);
  tx.commit();
  return out;
}

upgrade_commit pay(soci::session& sql, const commands::envelope& envelope,
                   const commands::upgrade& upgrade, const ports::plan_terms& plan,
                   const std::string& reference, const std::string& from_plan,
                   const std::string& user_id, const std::string& order_id) {
  const long long duration = plan.duration_seconds.value_or(0);
  const prepared_rows set = execute(sql, set_plan, user_id, plan.id, duration);
  upgrade_commit out{.what = upgrade_commit::kind::paid};
  out.expires_at = from_ms(set.int64(0, 0));
  execute(sql, insert_paid_order, order_id, user_id, plan.id, plan.price_cents, plan.currency);
  const auto locks = command_tx::apply_plan_locks(sql, upgrade.buyer,
                                                  static_cast<std::uint64_t>(plan.quota_bytes));
  out.locked = locks.locked;
  out.unlocked = locks.unlocked;
  command_tx::record(sql, envelope.id, "paid");

  auto event = command_tx::draft_for(envelope, "plan.upgraded", "user", user_id);
  event.data = {{"plan", upgrade.plan},          {"from_plan", from_plan},
                {"order_id", order_id},          {"amount_cents", plan.price_cents},
                {"currency", plan.currency},     {"expires_at", format_rfc3339(*out.expires_at)},
                {"unlocked", locks.unlocked},    {"locked", locks.locked},
                {"payment_reference", reference}};
  append_event(sql, event);
  return out;
}

upgrade_commit fail(soci::session& sql, const commands::envelope& envelope,
                    const commands::upgrade& upgrade, const ports::plan_terms& plan,
                    const std::string& reason, const std::string& user_id,
                    const std::string& order_id) {
  execute(sql, insert_failed_order, order_id, user_id, plan.id, plan.price_cents, plan.currency,
          reason);
  command_tx::record(sql, envelope.id, "failed");
  auto event = command_tx::draft_for(envelope, "order.failed", "order", order_id);
  event.data = {{"plan", upgrade.plan},
                {"reason", reason},
                {"amount_cents", plan.price_cents},
                {"currency", plan.currency}};
  append_event(sql, event);
  return upgrade_commit{.what = upgrade_commit::kind::failed};
}

ports::expiry_commit expire_account(soci::session& sql, const commands::envelope& envelope,
                                    const commands::expire& expire) {
  using kind = ports::expiry_commit::kind;
  soci::transaction tx(sql);
  ports::expiry_commit out;
  const auto user = lock_user(sql, expire.user_id);
  if (!user) {
    out.what = kind::no_user;
    return out;
  }
  out.from_plan = user->plan_name;
  out.used_bytes = user->used_bytes;
  if (command_tx::processed(sql, envelope.id)) {
    out.what = kind::already_processed;
    return out;
  }
  out.decision = decide_expiry(user->expires_at, user->due, expire.due_at, user->now);
  switch (out.decision.action) {
    case expiry_action::not_yet:
      return out;  // nothing recorded: the same command comes back later
    case expiry_action::renewed:
      command_tx::record(sql, envelope.id, "renewed");
      tx.commit();
      return out;
    case expiry_action::already_free:
      command_tx::record(sql, envelope.id, "already_free");
      tx.commit();
      return out;
    case expiry_action::downgrade:
      break;
  }

  const auto free = command_tx::free_plan(sql);
  const long long free_quota = free.quota_bytes;
  const std::string user_id = expire.user_id.to_string();
  execute(sql, downgrade, user_id, free.id);
  const auto locks =
      command_tx::apply_plan_locks(sql, expire.user_id, static_cast<std::uint64_t>(free_quota));
  out.locked = locks.locked;
  out.unlocked = locks.unlocked;
  out.quota_bytes = free_quota;
  command_tx::record(sql, envelope.id, "downgraded");

  auto event = command_tx::draft_for(envelope, "plan.expired", "user", user_id);
  event.data = {{"from_plan", user->plan_name},
                {"plan", "free"},
                {"expired_at", format_rfc3339(*user->expires_at)},
                {"locked", locks.locked},
                {"unlocked", locks.unlocked},
                {"used_bytes", user->used_bytes},
                {"quota_bytes", free_quota}};
  append_event(sql, event);
  tx.commit();
  return out;
}

}  // namespace

ports::upgrade_start plan_command_store::start_upgrade(const commands::envelope& envelope,
                                                       const commands::upgrade& upgrade) {
  return run_transaction(*pool_, [&](soci::session& sql) {
    using kind = ports::upgrade_start::kind;
    ports::upgrade_start out;
    if (execute(sql, user_exists, upgrade.buyer).int64(0, 0) == 0) {
      out.what = kind::no_user;
      return out;
    }
    const auto order = find_order(sql, upgrade.order_id);
    if (order || command_tx::processed(sql, envelope.id)) {
      out.what = kind::already_processed;
      if (order)
        out.bought_until = order->bought_until;
      return out;
    }
    auto plan = plan_by_name(sql, upgrade.plan);
    if (!plan) {
      out.what = kind::no_plan;
      return out;
    }
    out.plan = std::move(*plan);
    return out;
  });
}

ports::assignment_commit plan_command_store::assign_plan(
    const commands::envelope& envelope, const commands::assign_plan& assignment) {
  return run_transaction(*pool_, [&](soci::session& sql) {
    using kind = ports::assignment_commit::kind;
    ports::assignment_commit out;
    soci::transaction tx(sql);
    const auto user = lock_user(sql, assignment.user_id);
    if (!user) {
      out.what = kind::no_user;
      return out;
    }
    out.from_plan = user->plan_name;
    if (command_tx::processed(sql, envelope.id)) {
      out.what = kind::already_processed;
      return out;
    }
    const auto plan = plan_by_name(sql, assignment.plan);
    if (!plan) {
      out.what = kind::no_plan;
      return out;
    }
    const std::string user_id = assignment.user_id.to_string();
    std::optional<long long> end_ms;
    if (assignment.expires_at)
      end_ms = rows_epoch_ms(*assignment.expires_at);
    execute(sql, assign_plan_statement, user_id, plan->id, end_ms);
    const auto locks = command_tx::apply_plan_locks(sql, assignment.user_id,
                                                    static_cast<std::uint64_t>(plan->quota_bytes));
    out.expires_at = assignment.expires_at;
    out.locked = locks.locked;
    out.unlocked = locks.unlocked;
    command_tx::record(sql, envelope.id, "assigned");

    auto end_json = [](const std::optional<timestamp>& t) {
      return t ? boost::json::value(format_rfc3339(*t)) : boost::json::value(nullptr);
    };
    auto event = command_tx::draft_for(envelope, "user.plan_changed", "user", user_id);
    event.data = {
        {"before", {{"plan", user->plan_name}, {"plan_expires_at", end_json(user->expires_at)}}},
        {"after", {{"plan", plan->name}, {"plan_expires_at", end_json(assignment.expires_at)}}},
        {"locked", locks.locked},
        {"unlocked", locks.unlocked},
        {"via", "admin api"}};
    append_event(sql, event);
    command_tx::signal_settled(sql, assignment.assignment_id.to_string());
    tx.commit();
    return out;
  });
}

upgrade_commit plan_command_store::pay_order(const commands::envelope& envelope,
                                             const commands::upgrade& upgrade,
                                             const ports::plan_terms& plan,
                                             const std::string& payment_reference) {
  return run_transaction(*pool_, [&](soci::session& sql) {
    return record_order(
        sql, envelope, upgrade,
        [&](const std::string& from, const std::string& user, const std::string& order) {
          return pay(sql, envelope, upgrade, plan, payment_reference, from, user, order);
        });
  });
}

upgrade_commit plan_command_store::fail_order(const commands::envelope& envelope,
                                              const commands::upgrade& upgrade,
                                              const ports::plan_terms& plan,
                                              const std::string& reason) {
  return run_transaction(*pool_, [&](soci::session& sql) {
    return record_order(sql, envelope, upgrade,
                        [&](const std::string&, const std::string& user, const std::string& order) {
                          return fail(sql, envelope, upgrade, plan, reason, user, order);
                        });
  });
}

ports::expiry_commit plan_command_store::apply_expiry(const commands::envelope& envelope,
                                                      const commands::expire& expire) {
  return run_transaction(*pool_,
                         [&](soci::session& sql) { return expire_account(sql, envelope, expire); });
}

std::vector<ports::expiry_commit> plan_command_store::apply_expiries(
    std::span<const ports::expiry_member> group) {
  return run_transaction(*pool_, [&](soci::session& sql) { return expire_group(sql, group); });
}

ports::sweep_start plan_command_store::start_sweep(const std::string& command_id) {
  return run_transaction(*pool_, [&](soci::session& sql) {
    ports::sweep_start out;
    out.processed = command_tx::processed(sql, command_id);
    out.cutoff_us = execute(sql, now_us_statement).int64(0, 0);
    return out;
  });
}

std::vector<ports::due_account> plan_command_store::due_accounts(
    std::int64_t cutoff_us, const std::optional<ports::due_account>& after, std::size_t limit) {
  return run_transaction(*pool_, [&](soci::session& sql) {
    const prepared_rows rows =
        after ? execute(sql, due_next_page, cutoff_us, limit, after->expires_us, after->user_id)
              : execute(sql, due_first_page, cutoff_us, limit);
    std::vector<ports::due_account> page;
    page.reserve(static_cast<std::size_t>(rows.size()));
    for (int row = 0; row < rows.size(); ++row)
      page.push_back({rows.id(row, 0), from_ms(rows.int64(row, 1)), rows.int64(row, 2)});
    return page;
  });
}

void plan_command_store::record(const std::string& command_id, std::string_view outcome) {
  run_transaction(*pool_,
                  [&](soci::session& sql) { command_tx::record(sql, command_id, outcome); });
}

}  // namespace kemas::postgres
