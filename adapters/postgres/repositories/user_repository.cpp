#include "adapters/postgres/repositories/user_repository.hpp"

#include "adapters/postgres/errors.hpp"
#include "adapters/postgres/prepared.hpp"
#include "adapters/postgres/repositories/rows.hpp"

#include <soci/soci.h>

#include <utility>

namespace kemas::postgres {
namespace {

// Columns of a model::user, in the order user_from_rows reads them. `u` is users, `p` plans.
#define KEMAS_USER_COLUMNS                                                                  \
  "u.id::text, u.email, u.username, u.password_hash, u.role, p.name, "                      \
  "(extract(epoch FROM u.plan_expires_at) * 1000)::bigint, u.used_bytes, u.disabled::int, " \
  "(extract(epoch FROM u.created_at) * 1000)::bigint"

// Every statement here is prepared (prepared.hpp): planned once per connection.
// lower(...) = lower(...) is what the unique indexes users_*_lower_key are built on. $1 key.
const prepared_statement select_by_email{
    "kemas_user_by_email",
    "SELECT " KEMAS_USER_COLUMNS
    " FROM users u JOIN plans p ON p.id = u.plan_id WHERE lower(u.email) = lower($1)"};
const prepared_statement select_by_username{
    "kemas_user_by_username",
    "SELECT " KEMAS_USER_COLUMNS
    " FROM users u JOIN plans p ON p.id = u.plan_id WHERE lower(u.username) = lower($1)"};
const prepared_statement select_by_id{
    "kemas_user_by_id", "SELECT " KEMAS_USER_COLUMNS
                        " FROM users u JOIN plans p ON p.id = u.plan_id "
                        "WHERE u.id = CAST($1 AS uuid)"};

// New accounts start on the plan named 'free' (seeded by 0001_initial.sql).
// $1 email, $2 username, $3 password hash, $4 role.
const prepared_statement insert_user_statement{
    "kemas_user_insert",
    "WITH u AS ("
    "  INSERT INTO users (email, username, password_hash, role, plan_id)"
    "  VALUES ($1, $2, $3, $4, (SELECT id FROM plans WHERE name = 'free'))"
    "  RETURNING *) "
    "SELECT " KEMAS_USER_COLUMNS " FROM u JOIN plans p ON p.id = u.plan_id"};

// $1 hash, $2 user.
const prepared_statement update_password{
    "kemas_user_set_password",
    "UPDATE users SET password_hash = $1 WHERE id = CAST($2 AS uuid) RETURNING id::text"};

// Read-then-write under a row lock, so before/after in the event are exact under concurrency.
// $1 user; the updates take the new value first.
const prepared_statement lock_role{
    "kemas_user_lock_role", "SELECT role FROM users WHERE id = CAST($1 AS uuid) FOR NO KEY UPDATE"};
const prepared_statement update_role{"kemas_user_set_role",
                                     "UPDATE users SET role = $1 WHERE id = CAST($2 AS uuid)"};
const prepared_statement lock_disabled{
    "kemas_user_lock_disabled",
    "SELECT disabled::int FROM users WHERE id = CAST($1 AS uuid) FOR NO KEY UPDATE"};
const prepared_statement update_disabled{
    "kemas_user_set_disabled",
    "UPDATE users SET disabled = CAST($1 AS boolean) WHERE id = CAST($2 AS uuid)"};

#undef KEMAS_USER_COLUMNS

result<model::user> user_from_rows(const prepared_rows& rows) {
  if (rows.size() == 0)
    return make_error(errc::not_found, "no such user");
  constexpr int row = 0;
  return model::user{.id = rows.id(row, 0),
                     .email = rows.text(row, 1),
                     .username = rows.text(row, 2),
                     .password_hash = rows.text(row, 3),
                     .role = rows::role(rows, row, 4),
                     .plan = rows.text(row, 5),
                     .plan_expires_at = rows::optional_time(rows, row, 6),
                     .used_bytes = rows.int64(row, 7),
                     .disabled = rows.int64(row, 8) != 0,
                     .created_at = rows::time(rows, row, 9)};
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

model::user insert_user(soci::session& sql, const ports::new_user& user,
                        const model::event_draft& event) {
  soci::transaction tx(sql);
  auto created = user_from_rows(execute(sql, insert_user_statement, user.email, user.username,
                                        user.password_hash, role_name(user.role)));
  if (!created)  // an INSERT ... RETURNING that returned nothing: the schema changed under us
    throw std::runtime_error("user insert returned no row");
  postgres::append_event(sql, rows::with_subject(event, "user", created->id.to_string()));
  tx.commit();
  return std::move(*created);
}

// set_role / set_disabled: lock the row, compare, update and emit only on a change.
// `read` turns the locked column's text into a Value, `to_json` renders one for the event's
// data.before / data.after.
template <class Value, class Read, class ToJson>
result<ports::user_change> change_user(soci::session& sql, uuid id,
                                       const prepared_statement& lock,
                                       const prepared_statement& update, const char* field,
                                       const Value& wanted, Read read, ToJson to_json,
                                       const model::event_draft& event) {
  soci::transaction tx(sql);
  const prepared_rows locked = execute(sql, lock, id);
  if (locked.size() == 0)
    return make_error(errc::not_found, "no such user");
  const Value current = read(locked);
  const bool changed = current != wanted;
  if (changed) {
    execute(sql, update, wanted, id);
    auto draft = rows::with_subject(event, "user", id.to_string());
    draft.data["before"] = boost::json::object{{field, to_json(current)}};
    draft.data["after"] = boost::json::object{{field, to_json(wanted)}};
    postgres::append_event(sql, draft);
  }
  auto user = user_from_rows(execute(sql, select_by_id, id));
  tx.commit();
  if (!user)
    return user.error();
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
    return user_from_rows(execute(sql, select_by_email, email));
  };
  co_return co_await run_query(pool_, std::move(job));
}

boost::asio::awaitable<result<model::user>> user_repository::find_by_username(
    std::string username) {
  auto job = [username = std::move(username)](soci::session& sql) {
    return user_from_rows(execute(sql, select_by_username, username));
  };
  co_return co_await run_query(pool_, std::move(job));
}

boost::asio::awaitable<result<model::user>> user_repository::find_by_id(uuid id) {
  auto job = [id](soci::session& sql) { return user_from_rows(execute(sql, select_by_id, id)); };
  co_return co_await run_query(pool_, std::move(job));
}

boost::asio::awaitable<result<void>> user_repository::set_password(uuid id,
                                                                   std::string password_hash,
                                                                   model::event_draft event) {
  auto job = [id, hash = std::move(password_hash),
              event = std::move(event)](soci::session& sql) -> result<void> {
    soci::transaction tx(sql);
    if (execute(sql, update_password, hash, id).size() == 0)
      return make_error(errc::not_found, "no such user");
    postgres::append_event(sql, rows::with_subject(event, "user", id.to_string()));
    tx.commit();
    return {};
  };
  co_return co_await run_query(pool_, std::move(job));
}

boost::asio::awaitable<result<ports::user_change>> user_repository::set_disabled(
    uuid id, bool disabled, model::event_draft event) {
  auto job = [id, disabled,
              event = std::move(event)](soci::session& sql) -> result<ports::user_change> {
    const auto read = [](const prepared_rows& rows) { return rows.int64(0, 0) != 0; };
    const auto as_json = [](bool value) { return boost::json::value(value); };
    return change_user(sql, id, lock_disabled, update_disabled, "disabled", disabled, read,
                       as_json, event);
  };
  co_return co_await run_query(pool_, std::move(job));
}

boost::asio::awaitable<result<ports::user_change>> user_repository::set_role(
    uuid id, kemas::role role, model::event_draft event) {
  auto job = [id, name = std::string(role_name(role)),
              event = std::move(event)](soci::session& sql) -> result<ports::user_change> {
    const auto read = [](const prepared_rows& rows) { return rows.text(0, 0); };
    const auto as_text = [](const std::string& value) { return boost::json::value(value); };
    return change_user(sql, id, lock_role, update_role, "role", name, read, as_text, event);
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
