#include "adapters/postgres/repositories/api_key_repository.hpp"

#include "adapters/log/logging.hpp"
#include "adapters/postgres/errors.hpp"
#include "adapters/postgres/repositories/prepared_query.hpp"
#include "adapters/postgres/repositories/rows.hpp"

#include <soci/soci.h>

#include <utility>

namespace kemas::postgres {
namespace {

// Columns of an model::api_key, in the order key_from_rows reads them. `k` is api_keys.
#define KEMAS_KEY_COLUMNS                                                               \
  "k.id::text, k.user_id::text, k.name, k.prefix, k.secret_hash, "                      \
  "array_to_string(k.scopes, ','), (extract(epoch FROM k.created_at) * 1000)::bigint, " \
  "(extract(epoch FROM k.last_used_at) * 1000)::bigint, "                               \
  "(extract(epoch FROM k.expires_at) * 1000)::bigint, "                                 \
  "(extract(epoch FROM k.revoked_at) * 1000)::bigint"
constexpr int key_column_count = 10;

// Every statement here is prepared (prepared.hpp): planned once per connection.
// Times travel as epoch milliseconds; interval arithmetic keeps them exact (no float).
// $1 user, $2 name, $3 prefix, $4 secret hash, $5 scopes, $6 expiry in epoch ms or NULL.
const prepared_statement insert_key{
    "kemas_api_key_insert",
    "INSERT INTO api_keys AS k (user_id, name, prefix, secret_hash, scopes, expires_at) "
    "VALUES (CAST($1 AS uuid), $2, $3, $4, string_to_array($5, ','), "
    "        timestamptz 'epoch' + CAST($6 AS bigint) * interval '1 millisecond') "
    "RETURNING " KEMAS_KEY_COLUMNS};

// $1 user, $2 row limit.
const prepared_statement list_keys{"kemas_api_key_list",
                                   "SELECT " KEMAS_KEY_COLUMNS
                                   " FROM api_keys k WHERE k.user_id = CAST($1 AS uuid) "
                                   "ORDER BY k.created_at DESC, k.id DESC LIMIT $2"};

// The owner is part of the WHERE: someone else's key id matches nothing. $1 key, $2 owner.
const prepared_statement revoke_key{
    "kemas_api_key_revoke",
    "UPDATE api_keys AS k SET revoked_at = now() "
    "WHERE k.id = CAST($1 AS uuid) AND k.user_id = CAST($2 AS uuid) "
    "AND k.revoked_at IS NULL RETURNING " KEMAS_KEY_COLUMNS};

// $1 owner. The count goes into the event.
const prepared_statement revoke_all_keys{
    "kemas_api_key_revoke_all",
    "WITH gone AS (UPDATE api_keys SET revoked_at = now() "
    "WHERE user_id = CAST($1 AS uuid) AND revoked_at IS NULL RETURNING 1) "
    "SELECT count(*) FROM gone"};

// Every request with an API key runs it: on the api's pipeline when it has one
// (prepared_query.hpp). $1 prefix.
const prepared_statement find_by_prefix_statement{
    "kemas_api_key_find", "SELECT " KEMAS_KEY_COLUMNS
                          ", u.role, u.disabled::int "
                          "FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.prefix = $1"};

// Skips the write when the stamp is fresh: a busy key would otherwise write on every request
// (the guard does not even ask while the stamp it read is fresh: model::api_key). A write:
// alone behind its own sync point on the pipeline. $1 key.
const prepared_statement touch_key{
    "kemas_api_key_touch",
    "UPDATE api_keys SET last_used_at = now() WHERE id = CAST($1 AS uuid) "
    "AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute') "
    "RETURNING id::text",
    /*alone=*/true};

#undef KEMAS_KEY_COLUMNS

// Row `row` of any statement above, KEMAS_KEY_COLUMNS first.
model::api_key key_from_rows(const prepared_rows& rows, int row) {
  return {.id = rows.id(row, 0),
          .user_id = rows.id(row, 1),
          .name = rows.text(row, 2),
          .prefix = rows.text(row, 3),
          .secret_hash = rows.text(row, 4),
          .scopes = rows::scopes_from(rows.text(row, 5)),
          .created_at = rows::time(rows, row, 6),
          .last_used_at = rows::optional_time(rows, row, 7),
          .expires_at = rows::optional_time(rows, row, 8),
          .revoked_at = rows::optional_time(rows, row, 9)};
}

// The lookup's answer: the key's columns, then the owner's role and disabled flag.
ports::api_key_lookup lookup_from_rows(const prepared_rows& rows) {
  constexpr int row = 0;
  constexpr int owner = key_column_count;
  return {key_from_rows(rows, row), rows::role(rows, row, owner), rows.int64(row, owner + 1) != 0};
}

// Errors a create can meet because of its input; nullopt for anything else.
std::optional<error> create_error(const std::exception& e) {
  const auto kind = classify(e);
  const std::string constraint = constraint_name(e);
  if (kind == pg_error_kind::unique_violation && constraint == "api_keys_prefix_key")
    return make_error(errc::conflict, "this key prefix is taken", "prefix");
  if (kind == pg_error_kind::constraint_violation) {
    if (constraint == "api_keys_user_id_fkey")
      return make_error(errc::not_found, "no such user");
    if (constraint == "api_keys_name_check")
      return make_error(errc::validation_failed, "name must be 1 to 100 characters", "name");
    if (constraint == "api_keys_prefix_check")
      return make_error(errc::validation_failed, "prefix must be 4 to 32 characters", "prefix");
    if (constraint == "api_keys_expiry_after_creation")
      return make_error(errc::validation_failed, "expiry must be in the future", "expires_at");
  }
  return std::nullopt;
}

struct key_insert {
  uuid user_id;
  std::string name, prefix, secret_hash, scopes;
  std::optional<std::int64_t> expires_ms;
  model::event_draft event;
};

model::api_key insert_with_event(soci::session& sql, const key_insert& in) {
  soci::transaction tx(sql);
  const prepared_rows rows =
      execute(sql, insert_key, in.user_id, in.name, in.prefix, in.secret_hash, in.scopes,
              in.expires_ms);
  model::api_key key = key_from_rows(rows, 0);
  postgres::append_event(sql, rows::with_subject(in.event, "api_key", key.id.to_string()));
  tx.commit();
  return key;
}

}  // namespace

boost::asio::awaitable<result<model::api_key>> api_key_repository::create(
    uuid user_id, std::string name, std::string prefix, std::string secret_hash, scope_set scopes,
    std::optional<timestamp> expires_at, model::event_draft event) {
  std::optional<std::int64_t> expires_ms;
  if (expires_at)
    expires_ms = rows::epoch_ms(*expires_at);
  key_insert in{user_id,   std::move(name),           std::move(prefix), std::move(secret_hash),
                rows::scopes_param(scopes), expires_ms, std::move(event)};
  auto job = [in = std::move(in)](soci::session& sql) -> result<model::api_key> {
    try {
      return insert_with_event(sql, in);
    } catch (const std::exception& e) {
      if (auto refused = create_error(e))
        return std::move(*refused);
      throw;
    }
  };
  co_return co_await run_query(pool_, std::move(job));
}

boost::asio::awaitable<std::vector<model::api_key>> api_key_repository::list_for_user(
    uuid user_id) {
  auto job = [user_id](soci::session& sql) {
    const prepared_rows rows = execute(sql, list_keys, user_id, list_limit);
    std::vector<model::api_key> keys;
    keys.reserve(static_cast<std::size_t>(rows.size()));
    for (int row = 0; row < rows.size(); ++row)
      keys.push_back(key_from_rows(rows, row));
    return keys;
  };
  co_return co_await run_query(pool_, std::move(job));
}

boost::asio::awaitable<result<model::api_key>> api_key_repository::revoke(
    uuid user_id, uuid key_id, model::event_draft event) {
  auto job = [user_id, key_id,
              event = std::move(event)](soci::session& sql) -> result<model::api_key> {
    soci::transaction tx(sql);
    const prepared_rows rows = execute(sql, revoke_key, key_id, user_id);
    if (rows.size() == 0)
      return make_error(errc::not_found, "no such API key");
    model::api_key key = key_from_rows(rows, 0);
    postgres::append_event(sql, rows::with_subject(event, "api_key", key_id.to_string()));
    tx.commit();
    return key;
  };
  co_return co_await run_query(pool_, std::move(job));
}

boost::asio::awaitable<std::size_t> api_key_repository::revoke_all(uuid user_id,
                                                                   model::event_draft event) {
  auto job = [user_id, event = std::move(event)](soci::session& sql) mutable {
    soci::transaction tx(sql);
    const std::int64_t revoked = execute(sql, revoke_all_keys, user_id).int64(0, 0);
    if (revoked > 0) {
      event.data["count"] = revoked;
      postgres::append_event(sql, rows::with_subject(event, "user", user_id.to_string()));
    }
    tx.commit();
    return static_cast<std::size_t>(revoked);
  };
  co_return co_await run_query(pool_, std::move(job));
}

boost::asio::awaitable<result<ports::api_key_lookup>> api_key_repository::find_by_prefix(
    std::string prefix) {
  // Named, not temporaries inside the co_await: GCC 12 (asio#1007).
  statement_parameters parameters{std::move(prefix)};
  auto from_rows = [](const prepared_rows& rows) -> result<ports::api_key_lookup> {
    if (rows.size() == 0)
      return make_error(errc::not_found, "no such API key");
    return lookup_from_rows(rows);
  };
  co_return co_await run_prepared(pool_, reads_, find_by_prefix_statement, std::move(parameters),
                                  std::move(from_rows));
}

boost::asio::awaitable<bool> api_key_repository::touch_last_used(uuid key_id) {
  statement_parameters parameters{key_id.to_string()};
  auto wrote = [](const prepared_rows& rows) { return rows.size() > 0; };
  std::string failure;
  try {
    co_return co_await run_prepared(pool_, reads_, touch_key, std::move(parameters),
                                    std::move(wrote));
  } catch (const std::exception& e) {
    failure = e.what();
  }
  // Losing a last-used stamp is harmless; failing the request for it would not be.
  log::warn("could not record API key use", {{"key_id", key_id.to_string()}, {"error", failure}});
  co_return false;
}

}  // namespace kemas::postgres
