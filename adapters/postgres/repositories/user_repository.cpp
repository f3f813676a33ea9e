#include "adapters/postgres/repositories/user_repository.hpp"

#include "adapters/postgres/errors.hpp"
#include "adapters/postgres/repositories/rows.hpp"

#include <soci/soci.h>

#include <utility>

namespace kemas::postgres {
namespace {

// Columns of a model::user, in the order user_from_row reads them. `u` is users, `p` plans.
#define KEMAS_USER_COLUMNS                                                                  \
  "u.id::text, u.email, u.username, u.password_hash, u.role, p.name, "                      \
  "(extract(epoch FROM u.plan_expires_at) * 1000)::bigint, u.used_bytes, u.disabled::int, " \
  "(extract(epoch FROM u.created_at) * 1000)::bigint"

// lower(...) = lower(...) is what the unique indexes users_*_lower_key are built on.
constexpr const char* select_by_email_sql =
    "SELECT " KEMAS_USER_COLUMNS
    " FROM users u JOIN plans p ON p.id = u.plan_id WHERE lower(u.email) = lower(:key)";
constexpr const char* select_by_username_sql =
    "SELECT " KEMAS_USER_COLUMNS
    " FROM users u JOIN plans p ON p.id = u.plan_id WHERE lower(u.username) = lower(:key)";
constexpr const char* select_by_id_sql =
    "SELECT " KEMAS_USER_COLUMNS
    " FROM users u JOIN plans p ON p.id = u.plan_id WHERE u.id = CAST(:key AS uuid)";

// New accounts start on the plan named 'free' (seeded by 0001_initial.sql).
constexpr const char* insert_user_sql =
    "WITH u AS ("
    "  INSERT INTO users (email, username, password_hash, role, plan_id)"
    "  VALUES (:email, :username, :hash, :role, (SELECT id FROM plans WHERE name = 'free'))"
    "  RETURNING *) "
    "SELECT " KEMAS_USER_COLUMNS " FROM u JOIN plans p ON p.id = u.plan_id";

constexpr const char* update_password_sql =
    "UPDATE users SET password_hash = :hash WHERE id = CAST(:id AS uuid) RETURNING id::text";

// Read-then-write under a row lock, so before/after in the event are exact under concurrency.
constexpr const char* lock_role_sql =
    "SELECT role FROM users WHERE id = CAST(:id AS uuid) FOR NO KEY UPDATE";
constexpr const char* update_role_sql =
    "UPDATE users SET role = :role WHERE id = CAST(:id AS uuid)";
constexpr const char* lock_disabled_sql =
    "SELECT disabled::int FROM users WHERE id = CAST(:id AS uuid) FOR NO KEY UPDATE";
constexpr const char* update_disabled_sql =
    "UPDATE users SET disabled = (CAST(:disabled AS int) <> 0) WHERE id = CAST(:id AS uuid)";

#undef KEMAS_USER_COLUMNS

model::user user_from_row(const soci::row& row) {
  return {.id = rows::id(row, 0), .email = rows::text(row, 1), .username = rows::text(row, 2),
          .password_hash = rows::text(row, 3), .role = rows::role(row, 4),
          .plan = rows::text(row, 5), .plan_expires_at = rows::optional_time(row, 6),
          .used_bytes = rows::int64(row, 7), .disabled = rows::boolean(row, 8),
          .created_at = rows::time(row, 9)};
}

std::optional<model::user> fetch_user(soci::session& sql, const char* query,
                                      const std::string& key) {
  soci::row row;
  sql << query, soci::use(key, "key"), soci::into(row);
  if (!sql.got_data())
    return std::nullopt;
  return user_from_row(row);
}

result<model::user> found(std::optional<model::user> user) {
  if (!user)
    return make_error(errc::not_found, "no such user");
  return std::move(*user);
}

// Errors a create can meet because of its input; nullopt for anything else.
std::optional<error> create_error(const std::exception& e) {
  const auto kind = classify(e);
  const std::string constraint = constraint_name(e);
  if (kind == pg_error_kind::unique_violation) {
    if (constraint == "users_email_lower_key")
      return make_error(errc::conflict, "this email is already registered", "email");
    if (constraint == "users_username_lower_key")
      return make_error(errc::conflict, "this username is already taken", "username");
  }
  if (kind == pg_error_kind::constraint_violation) {
    for (const char* field : {"email", "username"}) {
      if (constraint == std::string("users_") + field + "_check")
        return make_error(errc::validation_failed, std::string(field) + " is not acceptable",
                          field);
    }
  }
  return std::nullopt;
}

model::user insert_user(soci::session& sql, const ports::new_user& user, const model::event_draft& event) {
  const std::string role{role_name(user.role)};
  soci::transaction tx(sql);
  soci::row row;
  sql << insert_user_sql, soci::use(user.email, "email"), soci::use(user.username, "username"),
      soci::use(user.password_hash, "hash"), soci::use(role, "role"), soci::into(row);
  model::user created = user_from_row(row);
  postgres::append_event(sql, rows::with_subject(event, "user", created.id.to_string()));
  tx.commit();
  return created;
}

// set_role / set_disabled: lock the row, compare, update and emit only on a change.
// `to_json` renders a value for the event's data.before / data.after.
template <class Value, class ToJson>
result<ports::user_change> change_user(soci::session& sql, const std::string& id, const char* lock_query,
                                const char* update_query, const char* param, const char* field,
                                const Value& wanted, ToJson to_json, const model::event_draft& event) {
  soci::transaction tx(sql);
  Value current{};
  sql << lock_query, soci::use(id, "id"), soci::into(current);
  if (!sql.got_data())
    return make_error(errc::not_found, "no such user");
  const bool changed = current != wanted;
  if (changed) {
    sql << update_query, soci::use(wanted, param), soci::use(id, "id");
    auto draft = rows::with_subject(event, "user", id);
    draft.data["before"] = boost::json::object{{field, to_json(current)}};
    draft.data["after"] = boost::json::object{{field, to_json(wanted)}};
    postgres::append_event(sql, draft);
  }
  auto user = fetch_user(sql, select_by_id_sql, id);
  tx.commit();
  if (!user)
    return make_error(errc::not_found, "no such user");
  return ports::user_change{std::move(*user), changed};
}

}  // namespace

boost::asio::awaitable<result<model::user>> user_repository::create(ports::new_user user,
                                                                    model::event_draft event) {
  auto job = [user = std::move(user),
              event = std::move(event)](soci::session& sql) -> result<model::user> {
    try {
      return insert_user(sql, user, event);
    } catch (const std::exception& e) {
      if (auto refused = create_error(e))
        return std::move(*refused);
      throw;
    }
  };
  co_return co_await run_query(pool_, std::move(job));
}

boost::asio::awaitable<result<model::user>> user_repository::find_by_email(std::string email) {
  auto job = [email = std::move(email)](soci::session& sql) {
    return found(fetch_user(sql, select_by_email_sql, email));
  };
  co_return co_await run_query(pool_, std::move(job));
}

boost::asio::awaitable<result<model::user>> user_repository::find_by_username(
    std::string username) {
  auto job = [username = std::move(username)](soci::session& sql) {
    return found(fetch_user(sql, select_by_username_sql, username));
  };
  co_return co_await run_query(pool_, std::move(job));
}

boost::asio::awaitable<result<model::user>> user_repository::find_by_id(uuid id) {
  auto job = [key = id.to_string()](soci::session& sql) {
    return found(fetch_user(sql, select_by_id_sql, key));
  };
  co_return co_await run_query(pool_, std::move(job));
}

boost::asio::awaitable<result<void>> user_repository::set_password(uuid id,
                                                                   std::string password_hash,
                                                                   model::event_draft event) {
  auto job = [key = id.to_string(), hash = std::move(password_hash),
              event = std::move(event)](soci::session& sql) -> result<void> {
    soci::transaction tx(sql);
    std::string updated;
    sql << update_password_sql, soci::use(hash, "hash"), soci::use(key, "id"), soci::into(updated);
    if (!sql.got_data())
      return make_error(errc::not_found, "no such user");
    postgres::append_event(sql, rows::with_subject(event, "user", key));
    tx.commit();
    return {};
  };
  co_return co_await run_query(pool_, std::move(job));
}

boost::asio::awaitable<result<ports::user_change>> user_repository::set_disabled(uuid id, bool disabled,
                                                                          model::event_draft event) {
  auto job = [key = id.to_string(), disabled,
              event = std::move(event)](soci::session& sql) -> result<ports::user_change> {
    // int, not bool: SOCI 4.0 binds no bool; the event still says true/false.
    const int wanted = disabled ? 1 : 0;
    const auto as_bool = [](int value) { return boost::json::value(value != 0); };
    return change_user(sql, key, lock_disabled_sql, update_disabled_sql, "disabled", "disabled",
                       wanted, as_bool, event);
  };
  co_return co_await run_query(pool_, std::move(job));
}

boost::asio::awaitable<result<ports::user_change>> user_repository::set_role(uuid id, kemas::role role,
                                                                      model::event_draft event) {
  auto job = [key = id.to_string(), name = std::string(role_name(role)),
              event = std::move(event)](soci::session& sql) -> result<ports::user_change> {
    const auto as_text = [](const std::string& value) { return boost::json::value(value); };
    return change_user(sql, key, lock_role_sql, update_role_sql, "role", "role", name, as_text,
                       event);
  };
  co_return co_await run_query(pool_, std::move(job));
}

boost::asio::awaitable<void> user_repository::append_event(model::event_draft event) {
  auto job = [event = std::move(event)](soci::session& sql) {
    postgres::append_event(sql, event);
    return true;
  };
  co_await run_query(pool_, std::move(job));
}

}  // namespace kemas::postgres
