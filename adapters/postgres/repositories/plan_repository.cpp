#include "adapters/postgres/repositories/plan_repository.hpp"

#include "adapters/postgres/errors.hpp"
#include "adapters/postgres/repositories/rows.hpp"

#include <soci/soci.h>
#include <boost/json/serialize.hpp>

#include <array>
#include <stdexcept>
#include <utility>

namespace kemas::postgres {
namespace {

// Columns of a model::plan, in the order plan_from_row reads them.
#define KEMAS_PLAN_COLUMNS                                                         \
  "p.id, p.name, p.display_name, p.quota_bytes, p.max_file_bytes, p.price_cents, " \
  "p.currency, p.duration_seconds, p.public::int, "                                \
  "(extract(epoch FROM p.created_at) * 1000)::bigint, "                            \
  "(extract(epoch FROM p.updated_at) * 1000)::bigint, p.max_share_links::bigint"

constexpr const char* list_all_sql =
    "SELECT " KEMAS_PLAN_COLUMNS " FROM plans p ORDER BY p.price_cents, p.id";
constexpr const char* list_public_sql =
    "SELECT " KEMAS_PLAN_COLUMNS " FROM plans p WHERE p.public ORDER BY p.price_cents, p.id";
constexpr const char* find_sql = "SELECT " KEMAS_PLAN_COLUMNS " FROM plans p WHERE p.id = :id";
constexpr const char* find_by_name_sql =
    "SELECT " KEMAS_PLAN_COLUMNS " FROM plans p WHERE p.name = :name";
constexpr const char* lock_sql =
    "SELECT " KEMAS_PLAN_COLUMNS " FROM plans p WHERE p.id = :id FOR UPDATE";
constexpr const char* lock_by_name_sql =
    "SELECT " KEMAS_PLAN_COLUMNS " FROM plans p WHERE p.name = :name FOR UPDATE";

constexpr const char* insert_sql =
    "INSERT INTO plans AS p (name, display_name, quota_bytes, max_file_bytes, price_cents, "
    "currency, duration_seconds, public, max_share_links) VALUES (:name, :display_name, :quota, "
    ":max_file, :price, :currency, :duration, CAST(:public AS int) <> 0, "
    "CAST(:share_links AS integer)) RETURNING " KEMAS_PLAN_COLUMNS;

constexpr const char* update_sql =
    "UPDATE plans AS p SET display_name = :display_name, quota_bytes = :quota, "
    "max_file_bytes = :max_file, price_cents = :price, currency = :currency, "
    "duration_seconds = :duration, public = CAST(:public AS int) <> 0, "
    "max_share_links = CAST(:share_links AS integer) "
    "WHERE p.id = :id RETURNING " KEMAS_PLAN_COLUMNS;

// A plan is in use while an account is on it or an order bought it (both RESTRICT).
constexpr const char* in_use_sql =
    "SELECT (EXISTS (SELECT 1 FROM users u WHERE u.plan_id = p.id) "
    "     OR EXISTS (SELECT 1 FROM orders o WHERE o.plan_id = p.id))::int "
    "FROM plans p WHERE p.id = :id";
constexpr const char* delete_sql = "DELETE FROM plans WHERE id = :id";

#undef KEMAS_PLAN_COLUMNS

model::plan plan_from_row(const soci::row& row) {
  return {.id = static_cast<std::int32_t>(rows::int64(row, 0)), .name = rows::text(row, 1),
          .display_name = rows::text(row, 2), .quota_bytes = rows::int64(row, 3),
          .max_file_bytes = rows::int64(row, 4), .price_cents = rows::int64(row, 5),
          .currency = rows::text(row, 6), .duration_seconds = rows::optional_int64(row, 7),
          .is_public = rows::boolean(row, 8), .max_share_links = rows::int64(row, 11),
          .created_at = rows::time(row, 9), .updated_at = rows::time(row, 10)};
}

boost::json::value duration_json(const std::optional<std::int64_t>& d) {
  if (!d)
    return nullptr;
  return *d;
}

boost::json::object plan_event_json(const model::plan& p) {
  return {{"id", p.id},
          {"name", p.name},
          {"display_name", p.display_name},
          {"quota_bytes", p.quota_bytes},
          {"max_file_bytes", p.max_file_bytes},
          {"price_cents", p.price_cents},
          {"currency", p.currency},
          {"duration_seconds", duration_json(p.duration_seconds)},
          {"public", p.is_public},
          {"max_share_links", p.max_share_links}};
}

std::optional<model::plan> read_plan(soci::session& sql, const char* query, const std::string& key,
                                     const char* param) {
  soci::row row;
  sql << query, soci::use(key, param), soci::into(row);
  if (!sql.got_data())
    return std::nullopt;
  return plan_from_row(row);
}

std::optional<model::plan> read_plan(soci::session& sql, const char* query, std::int32_t id) {
  int key = id;
  soci::row row;
  sql << query, soci::use(key, "id"), soci::into(row);
  if (!sql.got_data())
    return std::nullopt;
  return plan_from_row(row);
}

// A CHECK the caller's validation missed ("plans_quota_bytes_check" -> field quota_bytes).
std::optional<error> refusal(const std::exception& e) {
  const auto kind = classify(e);
  const std::string constraint = constraint_name(e);
  if (kind == pg_error_kind::unique_violation && constraint == "plans_name_key")
    return make_error(errc::conflict, "a plan with this name exists", "name");
  if ((kind == pg_error_kind::constraint_violation || kind == pg_error_kind::invalid_input) &&
      constraint.starts_with("plans_") && constraint.ends_with("_check")) {
    std::string field = constraint.substr(6, constraint.size() - 6 - 6);
    return make_error(errc::validation_failed, field + " is not allowed", field);
  }
  return std::nullopt;
}

// Writes `change` (computed from the locked row) and its event; the caller's transaction.
model::plan write_patch(soci::session& sql, const model::plan_change& change, model::event_draft event) {
  const auto& p = change.next;
  int id = p.id;
  long long quota = p.quota_bytes, max_file = p.max_file_bytes, price = p.price_cents;
  long long duration = p.duration_seconds.value_or(0);
  soci::indicator duration_ind = p.duration_seconds ? soci::i_ok : soci::i_null;
  int is_public = p.is_public ? 1 : 0;
  long long share_links = p.max_share_links;
  soci::row row;
  sql << update_sql, soci::use(share_links, "share_links"), soci::use(p.display_name, "display_name"), soci::use(quota, "quota"),
      soci::use(max_file, "max_file"), soci::use(price, "price"), soci::use(p.currency, "currency"),
      soci::use(duration, duration_ind, "duration"), soci::use(is_public, "public"),
      soci::use(id, "id"), soci::into(row);
  model::plan updated = plan_from_row(row);
  event.data["before"] = change.before;
  event.data["after"] = change.after;
  append_event(sql, rows::with_subject(std::move(event), "plan", updated.name));
  return updated;
}

result<model::plan> update_plan(soci::session& sql, std::int32_t id, const ports::plan_patch& patch,
                                model::event_draft event) {
  soci::transaction tx(sql);
  auto current = read_plan(sql, lock_sql, id);
  if (!current)
    return make_error(errc::not_found, "no such plan");
  auto change = model::apply_patch(*current, patch);
  if (current->name == fallback_plan_name && change.next.duration_seconds) {
    return make_error(errc::validation_failed, "the free plan never expires", "duration_seconds");
  }
  if (change.after.empty())
    return *current;  // nothing to write; the transaction rolls back
  auto updated = write_patch(sql, change, std::move(event));
  tx.commit();
  return updated;
}

result<void> remove_plan(soci::session& sql, std::int32_t id, model::event_draft event) {
  soci::transaction tx(sql);
  auto current = read_plan(sql, lock_sql, id);
  if (!current)
    return make_error(errc::not_found, "no such plan");
  if (current->name == fallback_plan_name)
    return make_error(errc::conflict, "the free plan is the fallback plan and cannot be deleted");
  int key = id;
  int in_use = 0;
  sql << in_use_sql, soci::use(key, "id"), soci::into(in_use);
  if (in_use != 0) {
    return make_error(errc::conflict,
                      "the plan is in use (accounts or orders refer to it); hide it instead");
  }
  sql << delete_sql, soci::use(key, "id");
  event.data["plan"] = plan_event_json(*current);
  append_event(sql, rows::with_subject(std::move(event), "plan", current->name));
  tx.commit();
  return {};
}

model::plan insert_plan(soci::session& sql, const ports::plan_fields& f, model::event_draft event) {
  long long quota = f.quota_bytes, max_file = f.max_file_bytes, price = f.price_cents;
  long long duration = f.duration_seconds.value_or(0);
  soci::indicator duration_ind = f.duration_seconds ? soci::i_ok : soci::i_null;
  int is_public = f.is_public ? 1 : 0;
  long long share_links = f.max_share_links;
  soci::transaction tx(sql);
  soci::row row;
  sql << insert_sql, soci::use(f.name, "name"), soci::use(f.display_name, "display_name"),
      soci::use(quota, "quota"), soci::use(max_file, "max_file"), soci::use(price, "price"),
      soci::use(f.currency, "currency"), soci::use(duration, duration_ind, "duration"),
      soci::use(is_public, "public"), soci::use(share_links, "share_links"), soci::into(row);
  model::plan created = plan_from_row(row);
  event.data["plan"] = plan_event_json(created);
  append_event(sql, rows::with_subject(std::move(event), "plan", created.name));
  tx.commit();
  return created;
}

}  // namespace

boost::asio::awaitable<std::vector<model::plan>> plan_repository::list(bool public_only) {
  auto job = [public_only](soci::session& sql) {
    std::vector<model::plan> out;
    soci::rowset<soci::row> rs = (sql.prepare << (public_only ? list_public_sql : list_all_sql));
    for (const auto& row : rs)
      out.push_back(plan_from_row(row));
    return out;
  };
  co_return co_await run_query(pool_, std::move(job));
}

boost::asio::awaitable<result<model::plan>> plan_repository::find(std::int32_t id) {
  auto job = [id](soci::session& sql) -> result<model::plan> {
    auto found = read_plan(sql, find_sql, id);
    if (!found)
      return make_error(errc::not_found, "no such plan");
    return std::move(*found);
  };
  co_return co_await run_query(pool_, std::move(job));
}

boost::asio::awaitable<result<model::plan>> plan_repository::find_by_name(std::string name) {
  auto job = [name = std::move(name)](soci::session& sql) -> result<model::plan> {
    auto found = read_plan(sql, find_by_name_sql, name, "name");
    if (!found)
      return make_error(errc::not_found, "no such plan");
    return std::move(*found);
  };
  co_return co_await run_query(pool_, std::move(job));
}

boost::asio::awaitable<result<model::plan>> plan_repository::create(ports::plan_fields fields,
                                                                    model::event_draft event) {
  auto job = [f = std::move(fields),
              event = std::move(event)](soci::session& sql) -> result<model::plan> {
    try {
      return insert_plan(sql, f, event);
    } catch (const std::exception& e) {
      if (auto refused = refusal(e))
        return *refused;
      throw;
    }
  };
  co_return co_await run_query(pool_, std::move(job));
}

boost::asio::awaitable<result<model::plan>> plan_repository::update(std::int32_t id,
                                                                    ports::plan_patch patch,
                                                                    model::event_draft event) {
  auto job = [id, patch = std::move(patch),
              event = std::move(event)](soci::session& sql) -> result<model::plan> {
    try {
      return update_plan(sql, id, patch, event);
    } catch (const std::exception& e) {
      if (auto refused = refusal(e))
        return *refused;
      throw;
    }
  };
  co_return co_await run_query(pool_, std::move(job));
}

boost::asio::awaitable<result<void>> plan_repository::remove(std::int32_t id, model::event_draft event) {
  auto job = [id, event = std::move(event)](soci::session& sql) -> result<void> {
    try {
      return remove_plan(sql, id, event);
    } catch (const std::exception& e) {
      // An order or an account that appeared after the in-use check (RESTRICT caught it).
      if (classify(e) == pg_error_kind::constraint_violation)
        return make_error(errc::conflict, "the plan is in use (accounts or orders refer to it)");
      throw;
    }
  };
  co_return co_await run_query(pool_, std::move(job));
}

std::vector<std::string> apply_plan_settings(soci::session& sql,
                                             const config::plans_settings& settings) {
  const auto as_int = [](const std::optional<std::uint64_t>& v) -> std::optional<std::int64_t> {
    if (!v)
      return std::nullopt;
    return static_cast<std::int64_t>(*v);
  };
  ports::plan_patch free_patch;
  free_patch.quota_bytes = as_int(settings.free_quota);
  free_patch.max_file_bytes = as_int(settings.free_max_file_size);
  ports::plan_patch premium_patch;
  premium_patch.quota_bytes = as_int(settings.premium_quota);
  premium_patch.max_file_bytes = as_int(settings.premium_max_file_size);
  premium_patch.price_cents = settings.premium_price_cents;
  if (!settings.premium_currency.empty())
    premium_patch.currency = settings.premium_currency;
  if (settings.premium_duration)
    premium_patch.duration_seconds.emplace(settings.premium_duration->count());

  struct target {
    std::string name;
    const ports::plan_patch& patch;
  };
  const std::array<target, 2> targets{{{"free", free_patch}, {"premium", premium_patch}}};
  std::vector<std::string> changes;
  soci::transaction tx(sql);
  for (const auto& [name, patch] : targets) {
    auto current = read_plan(sql, lock_by_name_sql, name, "name");
    if (!current)
      throw std::runtime_error("plan '" + name + "' does not exist; [plans] cannot apply");
    auto change = model::apply_patch(*current, patch);
    if (change.after.empty())
      continue;
    for (const auto& [field, value] : change.after) {
      changes.push_back(name + "." + std::string(field) + ": " +
                        boost::json::serialize(change.before.at(field)) + " -> " +
                        boost::json::serialize(value));
    }
    model::event_draft event;
    event.type = "plan.updated";
    event.data["via"] = "config";
    write_patch(sql, change, std::move(event));
  }
  tx.commit();
  return changes;
}

}  // namespace kemas::postgres
