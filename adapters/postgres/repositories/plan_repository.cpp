#include "adapters/postgres/repositories/plan_repository.hpp"

#include "adapters/postgres/errors.hpp"
#include "adapters/postgres/prepared.hpp"
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

// Every statement here is prepared (prepared.hpp): planned once per connection.
const prepared_statement list_all{
    "kemas_plan_list_all", "SELECT " KEMAS_PLAN_COLUMNS " FROM plans p ORDER BY p.price_cents, p.id"};
const prepared_statement list_public{
    "kemas_plan_list_public",
    "SELECT " KEMAS_PLAN_COLUMNS " FROM plans p WHERE p.public ORDER BY p.price_cents, p.id"};
// $1 id or name.
const prepared_statement find_by_id{"kemas_plan_find",
                                    "SELECT " KEMAS_PLAN_COLUMNS
                                    " FROM plans p WHERE p.id = CAST($1 AS integer)"};
const prepared_statement find_by_name_statement{
    "kemas_plan_find_by_name", "SELECT " KEMAS_PLAN_COLUMNS " FROM plans p WHERE p.name = $1"};
const prepared_statement lock_by_id{"kemas_plan_lock",
                                    "SELECT " KEMAS_PLAN_COLUMNS
                                    " FROM plans p WHERE p.id = CAST($1 AS integer) FOR UPDATE"};
const prepared_statement lock_by_name{
    "kemas_plan_lock_by_name",
    "SELECT " KEMAS_PLAN_COLUMNS " FROM plans p WHERE p.name = $1 FOR UPDATE"};

// $1 name, $2 display name, $3 quota, $4 max file, $5 price, $6 currency, $7 duration or NULL,
// $8 public, $9 share links.
const prepared_statement insert_statement{
    "kemas_plan_insert",
    "INSERT INTO plans AS p (name, display_name, quota_bytes, max_file_bytes, price_cents, "
    "currency, duration_seconds, public, max_share_links) VALUES ($1, $2, CAST($3 AS bigint), "
    "CAST($4 AS bigint), CAST($5 AS bigint), $6, CAST($7 AS bigint), CAST($8 AS boolean), "
    "CAST($9 AS integer)) RETURNING " KEMAS_PLAN_COLUMNS};

// $1 id, then $2.. as the insert's $2..$9.
const prepared_statement update_statement{
    "kemas_plan_update",
    "UPDATE plans AS p SET display_name = $2, quota_bytes = CAST($3 AS bigint), "
    "max_file_bytes = CAST($4 AS bigint), price_cents = CAST($5 AS bigint), currency = $6, "
    "duration_seconds = CAST($7 AS bigint), public = CAST($8 AS boolean), "
    "max_share_links = CAST($9 AS integer) "
    "WHERE p.id = CAST($1 AS integer) RETURNING " KEMAS_PLAN_COLUMNS};

// A plan is in use while an account is on it or an order bought it (both RESTRICT). $1 id.
const prepared_statement in_use{"kemas_plan_in_use",
                                "SELECT (EXISTS (SELECT 1 FROM users u WHERE u.plan_id = p.id) "
                                "     OR EXISTS (SELECT 1 FROM orders o WHERE o.plan_id = p.id))::int "
                                "FROM plans p WHERE p.id = CAST($1 AS integer)"};
const prepared_statement delete_statement{"kemas_plan_delete",
                                          "DELETE FROM plans WHERE id = CAST($1 AS integer)"};

#undef KEMAS_PLAN_COLUMNS

model::plan plan_from_rows(const prepared_rows& rows, int row) {
  return {.id = static_cast<std::int32_t>(rows.int64(row, 0)),
          .name = rows.text(row, 1),
          .display_name = rows.text(row, 2),
          .quota_bytes = rows.int64(row, 3),
          .max_file_bytes = rows.int64(row, 4),
          .price_cents = rows.int64(row, 5),
          .currency = rows.text(row, 6),
          .duration_seconds = rows::optional_int64(rows, row, 7),
          .is_public = rows.int64(row, 8) != 0,
          .max_share_links = rows.int64(row, 11),
          .created_at = rows::time(rows, row, 9),
          .updated_at = rows::time(rows, row, 10)};
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

// The plan `statement` selects by `key` (an id or a name), if any.
template <class Key>
std::optional<model::plan> read_plan(soci::session& sql, const prepared_statement& statement,
                                     const Key& key) {
  const prepared_rows rows = execute(sql, statement, key);
  if (rows.size() == 0)
    return std::nullopt;
  return plan_from_rows(rows, 0);
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
  const prepared_rows rows =
      execute(sql, update_statement, p.id, p.display_name, p.quota_bytes, p.max_file_bytes,
              p.price_cents, p.currency, p.duration_seconds, p.is_public, p.max_share_links);
  model::plan updated = plan_from_rows(rows, 0);
  event.data["before"] = change.before;
  event.data["after"] = change.after;
  append_event(sql, rows::with_subject(std::move(event), "plan", updated.name));
  return updated;
}

result<model::plan> update_plan(soci::session& sql, std::int32_t id, const ports::plan_patch& patch,
                                model::event_draft event) {
  soci::transaction tx(sql);
  auto current = read_plan(sql, lock_by_id, id);
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
  auto current = read_plan(sql, lock_by_id, id);
  if (!current)
    return make_error(errc::not_found, "no such plan");
  if (current->name == fallback_plan_name)
    return make_error(errc::conflict, "the free plan is the fallback plan and cannot be deleted");
  if (execute(sql, in_use, id).int64(0, 0) != 0) {
    return make_error(errc::conflict,
                      "the plan is in use (accounts or orders refer to it); hide it instead");
  }
  execute(sql, delete_statement, id);
  event.data["plan"] = plan_event_json(*current);
  append_event(sql, rows::with_subject(std::move(event), "plan", current->name));
  tx.commit();
  return {};
}

model::plan insert_plan(soci::session& sql, const ports::plan_fields& f, model::event_draft event) {
  soci::transaction tx(sql);
  const prepared_rows rows =
      execute(sql, insert_statement, f.name, f.display_name, f.quota_bytes, f.max_file_bytes,
              f.price_cents, f.currency, f.duration_seconds, f.is_public, f.max_share_links);
  model::plan created = plan_from_rows(rows, 0);
  event.data["plan"] = plan_event_json(created);
  append_event(sql, rows::with_subject(std::move(event), "plan", created.name));
  tx.commit();
  return created;
}

}  // namespace

boost::asio::awaitable<std::vector<model::plan>> plan_repository::list(bool public_only) {
  auto job = [public_only](soci::session& sql) {
    const prepared_rows rows = execute(sql, public_only ? list_public : list_all);
    std::vector<model::plan> out;
    out.reserve(static_cast<std::size_t>(rows.size()));
    for (int row = 0; row < rows.size(); ++row)
      out.push_back(plan_from_rows(rows, row));
    return out;
  };
  co_return co_await run_query(pool_, std::move(job));
}

boost::asio::awaitable<result<model::plan>> plan_repository::find(std::int32_t id) {
  auto job = [id](soci::session& sql) -> result<model::plan> {
    auto found = read_plan(sql, find_by_id, id);
    if (!found)
      return make_error(errc::not_found, "no such plan");
    return std::move(*found);
  };
  co_return co_await run_query(pool_, std::move(job));
}

boost::asio::awaitable<result<model::plan>> plan_repository::find_by_name(std::string name) {
  auto job = [name = std::move(name)](soci::session& sql) -> result<model::plan> {
    auto found = read_plan(sql, find_by_name_statement, name);
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
    auto current = read_plan(sql, lock_by_name, name);
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
