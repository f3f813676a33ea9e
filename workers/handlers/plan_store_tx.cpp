#include "workers/handlers/plan_store_tx.hpp"

#include "adapters/postgres/outbox.hpp"
#include "domain/quota.hpp"
#include "domain/rfc3339.hpp"
#include "domain/uuid.hpp"
#include "workers/billing/payment_provider.hpp"
#include "workers/handlers/file_store_tx.hpp"

#include <soci/soci.h>

namespace kemas::worker {
namespace {

// The account under a row lock, with its stored plan and expiry. `due` is the user_limits
// view's own comparison, evaluated by the database.
constexpr const char* lock_user_sql =
    "SELECT p.name, u.plan_id, u.used_bytes, "
    "       CASE WHEN u.plan_expires_at IS NULL THEN 0 ELSE 1 END, "
    "       CASE WHEN u.plan_expires_at <= now() THEN 1 ELSE 0 END, "
    "       COALESCE(ceil(extract(epoch FROM u.plan_expires_at) * 1000)::bigint, 0), "
    "       floor(extract(epoch FROM now()) * 1000)::bigint "
    "FROM users u JOIN plans p ON p.id = u.plan_id "
    "WHERE u.id = CAST(:user_id AS uuid) FOR UPDATE OF u";

constexpr const char* plan_by_name_sql =
    "SELECT id, quota_bytes, price_cents, currency, COALESCE(duration_seconds, 0) "
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

// Same millisecond rounding as the api's reads of created_at, so both sides feed plan_locks
// the same input and agree on which files are locked.
constexpr const char* owner_files_sql =
    "SELECT id::text, size_bytes, (extract(epoch FROM created_at) * 1000)::bigint, state "
    "FROM files WHERE owner_id = CAST(:owner_id AS uuid) AND state <> 'deleted'";

constexpr const char* lock_files_sql =
    "UPDATE files SET state = 'locked' WHERE owner_id = CAST(:owner_id AS uuid) "
    "AND state = 'active' AND id = ANY(CAST(:ids AS uuid[]))";

constexpr const char* unlock_files_sql =
    "UPDATE files SET state = 'active' WHERE owner_id = CAST(:owner_id AS uuid) "
    "AND state = 'locked' AND id = ANY(CAST(:ids AS uuid[]))";

constexpr const char* quota_in_force_sql =
    "SELECT quota_bytes FROM user_limits WHERE user_id = CAST(:owner_id AS uuid)";

constexpr const char* record_command_sql =
    "INSERT INTO processed_commands (command_id, outcome) VALUES (CAST(:command_id AS uuid), "
    ":outcome) ON CONFLICT (command_id) DO NOTHING";

constexpr const char* now_us_sql = "SELECT (extract(epoch FROM now()) * 1000000)::bigint";

#define KEMAS_DUE_COLUMNS                                                  \
  "SELECT id::text, ceil(extract(epoch FROM plan_expires_at) * 1000)::bigint, " \
  "       (extract(epoch FROM plan_expires_at) * 1000000)::bigint FROM users "
#define KEMAS_DUE_CUTOFF \
  "WHERE plan_expires_at <= timestamptz 'epoch' + CAST(:cutoff_us AS bigint) * interval '1 microsecond' "

constexpr const char* due_first_page_sql =
    KEMAS_DUE_COLUMNS KEMAS_DUE_CUTOFF "ORDER BY plan_expires_at, id LIMIT :row_limit";

constexpr const char* due_next_page_sql =
    KEMAS_DUE_COLUMNS KEMAS_DUE_CUTOFF
    "AND (plan_expires_at, id) > (timestamptz 'epoch' + CAST(:after_us AS bigint) * "
    "     interval '1 microsecond', CAST(:after_id AS uuid)) "
    "ORDER BY plan_expires_at, id LIMIT :row_limit";

#undef KEMAS_DUE_COLUMNS
#undef KEMAS_DUE_CUTOFF

domain::timestamp from_ms(long long ms) {
  return domain::timestamp(std::chrono::milliseconds(ms));
}

struct locked_user {
  std::string plan_name;
  int plan_id = 0;
  long long used_bytes = 0;
  std::optional<domain::timestamp> expires_at;  // rounded up to the ms
  bool due = false;
  domain::timestamp now{};
};

std::optional<locked_user> lock_user(soci::session& sql, const std::string& user_id) {
  locked_user user;
  int has_expiry = 0;
  int due = 0;
  long long expires_ms = 0;
  long long now_ms = 0;
  sql << lock_user_sql, soci::use(user_id), soci::into(user.plan_name), soci::into(user.plan_id),
      soci::into(user.used_bytes), soci::into(has_expiry), soci::into(due),
      soci::into(expires_ms), soci::into(now_ms);
  if (!sql.got_data())
    return std::nullopt;
  if (has_expiry != 0)
    user.expires_at = from_ms(expires_ms);
  user.due = due != 0;
  user.now = from_ms(now_ms);
  return user;
}

// "{id,id}": a uuid[] literal (uuid text has no characters that need quoting).
std::string uuid_array(const std::vector<uuid>& ids) {
  std::string text = "{";
  for (const uuid& id : ids) {
    if (text.size() > 1)
      text += ',';
    text += id.to_string();
  }
  return text + "}";
}

struct applied_locks {
  std::size_t locked = 0;
  std::size_t unlocked = 0;
};

// Brings the owner's files in line with `quota`: plan_locks decides, two UPDATEs apply.
applied_locks apply_plan_locks(soci::session& sql, const std::string& owner_id,
                               std::uint64_t quota) {
  std::vector<quota_file> files;
  soci::rowset<soci::row> rows = (sql.prepare << owner_files_sql, soci::use(owner_id));
  for (const soci::row& row : rows) {
    quota_file f;
    f.id = uuid::parse(row.get<std::string>(0)).value_or(uuid{});
    f.size = static_cast<std::uint64_t>(row.get<long long>(1));
    f.created_at = from_ms(row.get<long long>(2));
    f.locked = row.get<std::string>(3) == "locked";
    files.push_back(f);
  }
  const lock_changes changes = plan_locks(files, quota);
  applied_locks out;
  if (!changes.to_lock.empty()) {
    const std::string ids = uuid_array(changes.to_lock);
    soci::statement st = (sql.prepare << lock_files_sql, soci::use(owner_id), soci::use(ids));
    st.execute(true);
    out.locked = static_cast<std::size_t>(st.get_affected_rows());
  }
  if (!changes.to_unlock.empty()) {
    const std::string ids = uuid_array(changes.to_unlock);
    soci::statement st = (sql.prepare << unlock_files_sql, soci::use(owner_id), soci::use(ids));
    st.execute(true);
    out.unlocked = static_cast<std::size_t>(st.get_affected_rows());
  }
  return out;
}

postgres::event_draft draft_for(const domain::command_envelope& command, std::string type,
                                std::string subject_type, std::string subject_id) {
  postgres::event_draft draft;
  draft.type = std::move(type);
  draft.request_id = command.request_id;
  if (command.actor.user_id)
    draft.actor_user = uuid::parse(*command.actor.user_id);
  draft.actor_ip = command.actor.ip.value_or("");
  draft.subject_type = std::move(subject_type);
  draft.subject_id = std::move(subject_id);
  return draft;
}

struct plan_row {
  int id = 0;
  long long quota_bytes = 0;
  long long price_cents = 0;
  std::string currency;
  long long duration_seconds = 0;  // 0: the plan never expires (NULL)
};

std::optional<plan_row> plan_by_name(soci::session& sql, const std::string& name) {
  plan_row plan;
  sql << plan_by_name_sql, soci::use(name), soci::into(plan.id), soci::into(plan.quota_bytes),
      soci::into(plan.price_cents), soci::into(plan.currency), soci::into(plan.duration_seconds);
  if (!sql.got_data())
    return std::nullopt;
  return plan;
}

// The order with this id, if any: its state and what it bought.
std::optional<std::pair<std::string, std::optional<domain::timestamp>>> find_order(
    soci::session& sql, const std::string& order_id) {
  std::string state;
  int has_expiry = 0;
  long long expires_ms = 0;
  sql << order_sql, soci::use(order_id), soci::into(state), soci::into(has_expiry),
      soci::into(expires_ms);
  if (!sql.got_data())
    return std::nullopt;
  std::optional<domain::timestamp> bought;
  if (state == "paid" && has_expiry != 0)
    bought = from_ms(expires_ms);
  return std::make_pair(state, bought);
}

upgrade_commit fail_order(soci::session& sql, soci::transaction& tx,
                          const domain::command_envelope& command, const upgrade_payload& upgrade,
                          const plan_row& plan, upgrade_commit out, std::string reason) {
  sql << insert_failed_order_sql, soci::use(upgrade.order_id), soci::use(upgrade.user_id),
      soci::use(plan.id), soci::use(plan.price_cents), soci::use(plan.currency),
      soci::use(reason);
  record_plan_command(sql, command.id, "failed");
  auto event = draft_for(command, "order.failed", "order", upgrade.order_id);
  event.data = {{"plan", upgrade.plan},
                {"reason", reason},
                {"amount_cents", plan.price_cents},
                {"currency", plan.currency}};
  postgres::append_event(sql, event);
  tx.commit();
  out.what = upgrade_commit::kind::failed;
  out.reason = std::move(reason);
  return out;
}

}  // namespace

lock_refresh refresh_plan_locks(soci::session& sql, const std::string& owner_id) {
  long long quota = 0;
  sql << quota_in_force_sql, soci::use(owner_id), soci::into(quota);
  if (!sql.got_data())
    return {};
  const applied_locks changes = apply_plan_locks(sql, owner_id, static_cast<std::uint64_t>(quota));
  return {changes.locked, changes.unlocked};
}

void record_plan_command(soci::session& sql, const std::string& command_id,
                         const std::string& outcome) {
  sql << record_command_sql, soci::use(command_id), soci::use(outcome);
}

upgrade_commit apply_upgrade(soci::session& sql, const domain::command_envelope& command,
                             const upgrade_payload& upgrade, billing::payment_provider& payments) {
  using kind = upgrade_commit::kind;
  soci::transaction tx(sql);
  upgrade_commit out;
  out.plan = upgrade.plan;
  const auto user = lock_user(sql, upgrade.user_id);
  if (!user) {
    out.what = kind::no_user;
    return out;
  }
  out.from_plan = user->plan_name;
  if (const auto order = find_order(sql, upgrade.order_id);
      order || command_processed(sql, command.id)) {
    out.what = kind::already_processed;
    if (order)
      out.expires_at = order->second;
    return out;
  }

  const auto plan = plan_by_name(sql, upgrade.plan);
  if (!plan) {
    out.what = kind::no_plan;
    return out;
  }
  out.amount_cents = plan->price_cents;
  out.currency = plan->currency;
  // 'free' is the fallback every account returns to; a plan without a duration never ends.
  if (upgrade.plan == "free" || plan->duration_seconds <= 0)
    return fail_order(sql, tx, command, upgrade, *plan, out, "plan_not_purchasable");

  billing::payment_request request{upgrade.order_id, upgrade.user_id, upgrade.plan,
                                   plan->price_cents, plan->currency};
  const billing::payment_outcome payment = payments.charge(request);
  switch (payment.what) {
    case billing::payment_outcome::status::paid:
      break;
    case billing::payment_outcome::status::declined:
      return fail_order(sql, tx, command, upgrade, *plan, out,
                        "payment_declined: " + payment.reason);
    case billing::payment_outcome::status::unavailable:
      out.what = kind::payment_unavailable;
      out.reason = payment.reason;
      return out;  // rolled back
  }

  long long expires_ms = 0;
  sql << set_plan_sql, soci::use(plan->id), soci::use(plan->id), soci::use(plan->duration_seconds),
      soci::use(upgrade.user_id), soci::into(expires_ms);
  out.expires_at = from_ms(expires_ms);
  sql << insert_paid_order_sql, soci::use(upgrade.order_id), soci::use(plan->id),
      soci::use(plan->price_cents), soci::use(plan->currency), soci::use(upgrade.user_id);
  const applied_locks locks =
      apply_plan_locks(sql, upgrade.user_id, static_cast<std::uint64_t>(plan->quota_bytes));
  out.locked = locks.locked;
  out.unlocked = locks.unlocked;
  record_plan_command(sql, command.id, "paid");

  auto event = draft_for(command, "plan.upgraded", "user", upgrade.user_id);
  event.data = {{"plan", upgrade.plan},
                {"from_plan", user->plan_name},
                {"order_id", upgrade.order_id},
                {"amount_cents", plan->price_cents},
                {"currency", plan->currency},
                {"expires_at", format_rfc3339(*out.expires_at)},
                {"unlocked", locks.unlocked},
                {"locked", locks.locked},
                {"payment_reference", payment.reference}};
  postgres::append_event(sql, event);
  tx.commit();
  out.what = kind::paid;
  return out;
}

expiry_commit apply_expiry(soci::session& sql, const domain::command_envelope& command,
                           const expire_payload& expire) {
  using kind = expiry_commit::kind;
  soci::transaction tx(sql);
  expiry_commit out;
  const auto user = lock_user(sql, expire.user_id);
  if (!user) {
    out.what = kind::no_user;
    return out;
  }
  out.from_plan = user->plan_name;
  out.used_bytes = user->used_bytes;
  if (command_processed(sql, command.id)) {
    out.what = kind::already_processed;
    return out;
  }
  out.decision = decide_expiry(user->expires_at, user->due, expire.due_at, user->now);
  switch (out.decision.action) {
    case expiry_action::not_yet:
      return out;  // nothing recorded: the same command comes back later
    case expiry_action::renewed:
      record_plan_command(sql, command.id, "renewed");
      tx.commit();
      return out;
    case expiry_action::already_free:
      record_plan_command(sql, command.id, "already_free");
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
  sql << downgrade_sql, soci::use(free_id), soci::use(expire.user_id);
  const applied_locks locks =
      apply_plan_locks(sql, expire.user_id, static_cast<std::uint64_t>(free_quota));
  out.locked = locks.locked;
  out.unlocked = locks.unlocked;
  out.quota_bytes = free_quota;
  record_plan_command(sql, command.id, "downgraded");

  auto event = draft_for(command, "plan.expired", "user", expire.user_id);
  event.data = {{"from_plan", user->plan_name},
                {"plan", "free"},
                {"expired_at", format_rfc3339(*user->expires_at)},
                {"locked", locks.locked},
                {"unlocked", locks.unlocked},
                {"used_bytes", user->used_bytes},
                {"quota_bytes", free_quota}};
  postgres::append_event(sql, event);
  tx.commit();
  return out;
}

std::int64_t database_now_us(soci::session& sql) {
  long long now_us = 0;
  sql << now_us_sql, soci::into(now_us);
  return now_us;
}

std::vector<due_account> due_accounts(soci::session& sql, std::int64_t cutoff_us,
                                      const std::optional<due_account>& after, std::size_t limit) {
  const long long cutoff = cutoff_us;
  const long long row_limit = static_cast<long long>(limit);
  std::vector<due_account> page;
  page.reserve(limit);
  auto collect = [&page](soci::rowset<soci::row>& rows) {
    for (const soci::row& row : rows) {
      page.push_back({row.get<std::string>(0), from_ms(row.get<long long>(1)),
                      row.get<long long>(2)});
    }
  };
  if (!after) {
    soci::rowset<soci::row> rows =
        (sql.prepare << due_first_page_sql, soci::use(cutoff), soci::use(row_limit));
    collect(rows);
  } else {
    const long long after_us = after->expires_us;
    soci::rowset<soci::row> rows =
        (sql.prepare << due_next_page_sql, soci::use(cutoff), soci::use(after_us),
         soci::use(after->user_id), soci::use(row_limit));
    collect(rows);
  }
  return page;
}

}  // namespace kemas::worker
