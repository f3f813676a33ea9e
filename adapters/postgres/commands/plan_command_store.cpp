#include "adapters/postgres/commands/plan_command_store.hpp"

#include <soci/soci.h>

#include <stdexcept>

#include "adapters/postgres/commands/command_tx.hpp"
#include "adapters/postgres/commands/expiry_group.hpp"
#include "adapters/postgres/repositories/query.hpp"

namespace kemas::postgres {
namespace {

using command_tx::from_ms;
using ports::upgrade_commit;

long long rows_epoch_ms(timestamp t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// The account under a row lock, with its stored plan and expiry. `due` is the user_limits
// view's own comparison, evaluated by the database.
constexpr const char* lock_user_sql =
    "SELECT p.name, u.plan_id, u.used_bytes, "
    "       CASE WHEN u.plan_expires_at IS NULL THEN 0 ELSE 1 END, "
    "       CASE WHEN u.plan_expires_at <= now() THEN 1 ELSE 0 END, "
    "       COALESCE(ceil(extract(epoch FROM u.plan_expires_at) * 1000)::bigint, 0), "
    "       floor(extract(epoch FROM now()) * 1000)::bigint "
    "FROM users u JOIN plans p ON p.id = u.plan_id "
    "WHERE u.id = CAST(:user_id AS uuid) FOR NO KEY UPDATE OF u";

constexpr const char* user_exists_sql =
    "SELECT count(*) FROM users WHERE id = CAST(:user_id AS uuid)";

constexpr const char* plan_by_name_sql =
    "SELECT id, name, quota_bytes, price_cents, currency, COALESCE(duration_seconds, 0) "
    "FROM plans WHERE name = :name";

constexpr const char* free_plan_sql = "SELECT id, quota_bytes FROM plans WHERE name = 'free'";

// An order with the payload's id exists: the upgrade ran before (under another command id if
// the api republished it). Its expires_at is what a paid order bought.
constexpr const char* order_sql =
    "SELECT state, CASE WHEN expires_at IS NULL THEN 0 ELSE 1 END, "
    "       COALESCE(ceil(extract(epoch FROM expires_at) * 1000)::bigint, 0) "
    "FROM orders WHERE id = CAST(:order_id AS uuid)";

// An active subscription to the same plan is extended from its current end, anything else
// starts now. Stored at millisecond precision so the scheduled expire's due_at is exact.
constexpr const char* set_plan_sql =
    "UPDATE users SET plan_id = :plan_id, plan_expires_at = date_trunc('milliseconds', "
    "  CASE WHEN plan_id = :same_plan_id AND plan_expires_at > now() THEN plan_expires_at "
    "       ELSE now() END + CAST(:duration AS bigint) * interval '1 second') "
    "WHERE id = CAST(:user_id AS uuid) "
    "RETURNING ceil(extract(epoch FROM plan_expires_at) * 1000)::bigint";

// An admin's assignment: the plan and the end exactly as given (milliseconds), or no end.
constexpr const char* assign_plan_sql =
    "UPDATE users SET plan_id = :plan_id, plan_expires_at = CASE WHEN CAST(:has_end AS int) = 1 "
    "  THEN timestamptz 'epoch' + CAST(:end_ms AS bigint) * interval '1 millisecond' END "
    "WHERE id = CAST(:user_id AS uuid)";

constexpr const char* insert_paid_order_sql =
    "INSERT INTO orders (id, user_id, plan_id, amount_cents, currency, state, expires_at) "
    "SELECT CAST(:order_id AS uuid), u.id, :plan_id, :amount, :currency, 'paid', "
    "       u.plan_expires_at "
    "FROM users u WHERE u.id = CAST(:user_id AS uuid)";

constexpr const char* insert_failed_order_sql =
    "INSERT INTO orders (id, user_id, plan_id, amount_cents, currency, state, reason) "
    "VALUES (CAST(:order_id AS uuid), CAST(:user_id AS uuid), :plan_id, :amount, :currency, "
    "        'failed', :reason)";

constexpr const char* downgrade_sql =
    "UPDATE users SET plan_id = :free_id, plan_expires_at = NULL "
    "WHERE id = CAST(:user_id AS uuid)";

constexpr const char* now_us_sql = "SELECT (extract(epoch FROM now()) * 1000000)::bigint";

#define KEMAS_DUE_COLUMNS                                                       \
  "SELECT id::text, ceil(extract(epoch FROM plan_expires_at) * 1000)::bigint, " \
  "       (extract(epoch FROM plan_expires_at) * 1000000)::bigint FROM users "
#define KEMAS_DUE_CUTOFF                                                                  \
  "WHERE plan_expires_at <= timestamptz 'epoch' + CAST(:cutoff_us AS bigint) * interval " \
  "'1 microsecond' "

constexpr const char* due_first_page_sql =
    KEMAS_DUE_COLUMNS KEMAS_DUE_CUTOFF "ORDER BY plan_expires_at, id LIMIT :row_limit";

constexpr const char* due_next_page_sql = KEMAS_DUE_COLUMNS KEMAS_DUE_CUTOFF
    "AND (plan_expires_at, id) > (timestamptz 'epoch' + CAST(:after_us AS bigint) * "
    "     interval '1 microsecond', CAST(:after_id AS uuid)) "
    "ORDER BY plan_expires_at, id LIMIT :row_limit";

#undef KEMAS_DUE_COLUMNS
#undef KEMAS_DUE_CUTOFF

struct locked_user {
  std::string plan_name;
  int plan_id = 0;
  long long used_bytes = 0;
  std::optional<timestamp> expires_at;  // rounded up to the ms
  bool due = false;
  timestamp now{};
};

std::optional<locked_user> lock_user(soci::session& sql, const uuid& user) {
  const std::string user_id = user.to_string();
  locked_user out;
  int has_expiry = 0;
  int due = 0;
  long long expires_ms = 0;
  long long now_ms = 0;
  sql << lock_user_sql, soci::use(user_id), soci::into(out.plan_name), soci::into(out.plan_id),
      soci::into(out.used_bytes), soci::into(has_expiry), soci::into(due), soci::into(expires_ms),
      soci::into(now_ms);
  if (!sql.got_data())
    return std::nullopt;
  if (has_expiry != 0)
    out.expires_at = from_ms(expires_ms);
  out.due = due != 0;
  out.now = from_ms(now_ms);
  return out;
}

std::optional<ports::plan_terms> plan_by_name(soci::session& sql, const std::string& name) {
  ports::plan_terms plan;
  long long duration = 0;
  sql << plan_by_name_sql, soci::use(name), soci::into(plan.id), soci::into(plan.name),
      soci::into(plan.quota_bytes), soci::into(plan.price_cents), soci::into(plan.currency),
      soci::into(duration);
  if (!sql.got_data())
    return std::nullopt;
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
  const std::string order_id = order.to_string();
  order_found out;
  int has_expiry = 0;
  long long expires_ms = 0;
  sql << order_sql, soci::use(order_id), soci::into(out.state), soci::into(has_expiry),
      soci::into(expires_ms);
  if (!sql.got_data())
    return std::nullopt;
  if (out.state == "paid" && has_expiry != 0)
    out.bought_until = from_ms(expires_ms);
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
  long long expires_ms = 0;
  sql << set_plan_sql, soci::use(plan.id), soci::use(plan.id), soci::use(duration),
      soci::use(user_id), soci::into(expires_ms);
  upgrade_commit out{.what = upgrade_commit::kind::paid};
  out.expires_at = from_ms(expires_ms);
  sql << insert_paid_order_sql, soci::use(order_id), soci::use(plan.id),
      soci::use(plan.price_cents), soci::use(plan.currency), soci::use(user_id);
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
  sql << insert_failed_order_sql, soci::use(order_id), soci::use(user_id), soci::use(plan.id),
      soci::use(plan.price_cents), soci::use(plan.currency), soci::use(reason);
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

  int free_id = 0;
  long long free_quota = 0;
  sql << free_plan_sql, soci::into(free_id), soci::into(free_quota);
  if (!sql.got_data())
    throw std::runtime_error("the fallback plan 'free' is missing");
  const std::string user_id = expire.user_id.to_string();
  sql << downgrade_sql, soci::use(free_id), soci::use(user_id);
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
    const std::string user_id = upgrade.buyer.to_string();
    long long users = 0;
    sql << user_exists_sql, soci::use(user_id), soci::into(users);
    if (users == 0) {
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
    const int has_end = assignment.expires_at ? 1 : 0;
    const long long end_ms = assignment.expires_at ? rows_epoch_ms(*assignment.expires_at) : 0;
    sql << assign_plan_sql, soci::use(plan->id, "plan_id"), soci::use(has_end, "has_end"),
        soci::use(end_ms, "end_ms"), soci::use(user_id, "user_id");
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
    long long now_us = 0;
    sql << now_us_sql, soci::into(now_us);
    out.cutoff_us = now_us;
    return out;
  });
}

std::vector<ports::due_account> plan_command_store::due_accounts(
    std::int64_t cutoff_us, const std::optional<ports::due_account>& after, std::size_t limit) {
  return run_transaction(*pool_, [&](soci::session& sql) {
    const long long cutoff = cutoff_us;
    const long long row_limit = static_cast<long long>(limit);
    std::vector<ports::due_account> page;
    page.reserve(limit);
    auto collect = [&page](soci::rowset<soci::row>& rows) {
      for (const soci::row& row : rows) {
        page.push_back({uuid::parse(row.get<std::string>(0)).value_or(uuid{}),
                        from_ms(row.get<long long>(1)), row.get<long long>(2)});
      }
    };
    if (!after) {
      soci::rowset<soci::row> rows =
          (sql.prepare << due_first_page_sql, soci::use(cutoff), soci::use(row_limit));
      collect(rows);
    } else {
      const long long after_us = after->expires_us;
      const std::string after_id = after->user_id.to_string();
      soci::rowset<soci::row> rows =
          (sql.prepare << due_next_page_sql, soci::use(cutoff), soci::use(after_us),
           soci::use(after_id), soci::use(row_limit));
      collect(rows);
    }
    return page;
  });
}

void plan_command_store::record(const std::string& command_id, std::string_view outcome) {
  run_transaction(*pool_,
                  [&](soci::session& sql) { command_tx::record(sql, command_id, outcome); });
}

}  // namespace kemas::postgres
