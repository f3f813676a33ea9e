#include "adapters/postgres/repositories/api_key_repository.hpp"

#include "adapters/log/logging.hpp"
#include "adapters/postgres/errors.hpp"
#include "adapters/postgres/repositories/prepared_query.hpp"
#include "adapters/postgres/repositories/rows.hpp"

#include <soci/soci.h>

#include <utility>

namespace kemas::postgres {
namespace {

// Columns of an model::api_key, in the order key_from_row reads them. `k` is api_keys.
#define KEMAS_KEY_COLUMNS                                                               \
  "k.id::text, k.user_id::text, k.name, k.prefix, k.secret_hash, "                      \
  "array_to_string(k.scopes, ','), (extract(epoch FROM k.created_at) * 1000)::bigint, " \
  "(extract(epoch FROM k.last_used_at) * 1000)::bigint, "                               \
  "(extract(epoch FROM k.expires_at) * 1000)::bigint, "                                 \
  "(extract(epoch FROM k.revoked_at) * 1000)::bigint"
constexpr std::size_t key_column_count = 10;

// Times travel as epoch milliseconds; interval arithmetic keeps them exact (no float).
constexpr const char* insert_key_sql =
    "INSERT INTO api_keys AS k (user_id, name, prefix, secret_hash, scopes, expires_at) "
    "VALUES (CAST(:user_id AS uuid), :name, :prefix, :hash, string_to_array(:scopes, ','), "
    "        timestamptz 'epoch' + CAST(:expires_ms AS bigint) * interval '1 millisecond') "
    "RETURNING " KEMAS_KEY_COLUMNS;

constexpr const char* list_keys_sql = "SELECT " KEMAS_KEY_COLUMNS
                                      " FROM api_keys k WHERE k.user_id = CAST(:user_id AS uuid) "
                                      "ORDER BY k.created_at DESC, k.id DESC LIMIT :row_limit";

// The owner is part of the WHERE: someone else's key id matches nothing.
constexpr const char* revoke_key_sql =
    "UPDATE api_keys AS k SET revoked_at = now() "
    "WHERE k.id = CAST(:id AS uuid) AND k.user_id = CAST(:user_id AS uuid) "
    "AND k.revoked_at IS NULL RETURNING " KEMAS_KEY_COLUMNS;

// Every request with an API key runs it: prepared, and on the api's pipeline when it has one
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

model::api_key key_from_row(const soci::row& row) {
  return {.id = rows::id(row, 0),
          .user_id = rows::id(row, 1),
          .name = rows::text(row, 2),
          .prefix = rows::text(row, 3),
          .secret_hash = rows::text(row, 4),
          .scopes = rows::scopes(row, 5),
          .created_at = rows::time(row, 6),
          .last_used_at = rows::optional_time(row, 7),
          .expires_at = rows::optional_time(row, 8),
          .revoked_at = rows::optional_time(row, 9)};
}

// The lookup's answer: key_from_row's columns, then the owner's role and disabled flag.
ports::api_key_lookup lookup_from_rows(const prepared_rows& rows) {
  constexpr int row = 0;
  model::api_key key{.id = rows.id(row, 0),
                     .user_id = rows.id(row, 1),
                     .name = rows.text(row, 2),
                     .prefix = rows.text(row, 3),
                     .secret_hash = rows.text(row, 4),
                     .scopes = rows::scopes_from(rows.text(row, 5)),
                     .created_at = rows::time(rows, row, 6),
                     .last_used_at = rows::optional_time(rows, row, 7),
                     .expires_at = rows::optional_time(rows, row, 8),
                     .revoked_at = rows::optional_time(rows, row, 9)};
  constexpr int owner = static_cast<int>(key_column_count);
  const auto role = parse_role(rows.text(row, owner));
  if (!role)
    throw std::runtime_error("api key lookup: unknown role '" + rows.text(row, owner) + "'");
  return {std::move(key), *role, rows.int64(row, owner + 1) != 0};
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
  std::string user_id, name, prefix, secret_hash, scopes;
  std::optional<timestamp> expires_at;
  model::event_draft event;
};

model::api_key insert_key(soci::session& sql, const key_insert& in) {
  long long expires_ms = in.expires_at ? rows::epoch_ms(*in.expires_at) : 0;
  soci::indicator expires_ind = in.expires_at ? soci::i_ok : soci::i_null;
  soci::transaction tx(sql);
  soci::row row;
  sql << insert_key_sql, soci::use(in.user_id, "user_id"), soci::use(in.name, "name"),
      soci::use(in.prefix, "prefix"), soci::use(in.secret_hash, "hash"),
      soci::use(in.scopes, "scopes"), soci::use(expires_ms, expires_ind, "expires_ms"),
      soci::into(row);
  model::api_key key = key_from_row(row);
  postgres::append_event(sql, rows::with_subject(in.event, "api_key", key.id.to_string()));
  tx.commit();
  return key;
}

}  // namespace

boost::asio::awaitable<result<model::api_key>> api_key_repository::create(
    uuid user_id, std::string name, std::string prefix, std::string secret_hash, scope_set scopes,
    std::optional<timestamp> expires_at, model::event_draft event) {
  key_insert in{
      user_id.to_string(),        std::move(name), std::move(prefix), std::move(secret_hash),
      rows::scopes_param(scopes), expires_at,      std::move(event)};
  auto job = [in = std::move(in)](soci::session& sql) -> result<model::api_key> {
    try {
      return insert_key(sql, in);
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
  auto job = [key = user_id.to_string()](soci::session& sql) {
    int row_limit = list_limit;
    std::vector<model::api_key> keys;
    soci::rowset<soci::row> found = (sql.prepare << list_keys_sql, soci::use(key, "user_id"),
                                     soci::use(row_limit, "row_limit"));
    for (const auto& row : found)
      keys.push_back(key_from_row(row));
    return keys;
  };
  co_return co_await run_query(pool_, std::move(job));
}

boost::asio::awaitable<result<model::api_key>> api_key_repository::revoke(
    uuid user_id, uuid key_id, model::event_draft event) {
  auto job = [owner = user_id.to_string(), id = key_id.to_string(),
              event = std::move(event)](soci::session& sql) -> result<model::api_key> {
    soci::transaction tx(sql);
    soci::row row;
    sql << revoke_key_sql, soci::use(id, "id"), soci::use(owner, "user_id"), soci::into(row);
    if (!sql.got_data())
      return make_error(errc::not_found, "no such API key");
    model::api_key key = key_from_row(row);
    postgres::append_event(sql, rows::with_subject(event, "api_key", id));
    tx.commit();
    return key;
  };
  co_return co_await run_query(pool_, std::move(job));
}

boost::asio::awaitable<std::size_t> api_key_repository::revoke_all(uuid user_id,
                                                                   model::event_draft event) {
  auto job = [owner = user_id.to_string(), event = std::move(event)](soci::session& sql) mutable {
    soci::transaction tx(sql);
    long long revoked = 0;
    sql << "WITH gone AS (UPDATE api_keys SET revoked_at = now() "
           "WHERE user_id = CAST(:user_id AS uuid) AND revoked_at IS NULL RETURNING 1) "
           "SELECT count(*) FROM gone",
        soci::use(owner, "user_id"), soci::into(revoked);
    if (revoked > 0) {
      event.data["count"] = revoked;
      postgres::append_event(sql, rows::with_subject(event, "user", owner));
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
