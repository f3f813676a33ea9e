#include "adapters/postgres/repositories/upload_repository.hpp"

#include "adapters/postgres/repositories/rows.hpp"
#include "domain/model/object_key.hpp"

#include <soci/soci.h>

#include <stdexcept>
#include <utility>

namespace kemas::postgres {
namespace {

// The plan in force now (user_limits: a past-due premium counts as free at once) and the
// name check (files_owner_name_live_key), one statement.
constexpr const char* limits_sql =
    "SELECT l.used_bytes + l.reserved_bytes, l.quota_bytes, l.max_file_bytes, EXISTS (SELECT 1 FROM files f "
    "WHERE f.owner_id = l.user_id AND f.name = :name AND f.state <> 'deleted')::int "
    "FROM user_limits l WHERE l.user_id = CAST(:owner AS uuid)";

constexpr const char* insert_sql =
    "INSERT INTO uploads (id, owner_id) VALUES (CAST(:id AS uuid), CAST(:owner AS uuid))";

#define KEMAS_UPLOAD_COLUMNS \
  "id::text, state, coalesce(reason, ''), coalesce(file_id::text, ''), " \
  "(extract(epoch FROM created_at) * 1000)::bigint"

constexpr const char* find_sql = "SELECT " KEMAS_UPLOAD_COLUMNS
                                 " FROM uploads WHERE id = CAST(:id AS uuid) "
                                 "AND owner_id = CAST(:owner AS uuid)";

constexpr const char* reject_sql =
    "UPDATE uploads SET state = 'rejected', reason = :reason "
    "WHERE id = CAST(:id AS uuid) AND owner_id = CAST(:owner AS uuid) AND state = 'pending'";

#undef KEMAS_UPLOAD_COLUMNS

// The api's claim on an object it is about to store (0006_object_cleanup.sql). The second
// call of an upload (with the multipart id) keeps the first due time. The key holds the
// owner's id (model::object_key_for), and the upload must be the owner's own.
constexpr const char* hold_sql =
    "INSERT INTO object_cleanup (object_key, upload_id, multipart_upload_id, due_at) "
    "VALUES (:key, CAST(:id AS uuid), :multipart, now() + CAST(:after_ms AS bigint) * "
    "interval '1 millisecond') "
    "ON CONFLICT (object_key) DO UPDATE SET multipart_upload_id = EXCLUDED.multipart_upload_id "
    "WHERE object_cleanup.upload_id = EXCLUDED.upload_id";

constexpr const char* release_sql =
    "UPDATE object_cleanup SET due_at = now() WHERE object_key = :key AND due_at > now() "
    "AND starts_with(object_key, :prefix)";

model::upload_state parse_state(const std::string& text) {
  if (const auto state = model::upload_state_from(text))
    return *state;
  throw std::runtime_error("uploads.state: unknown value '" + text + "'");
}

model::upload upload_from_row(const soci::row& row) {
  model::upload u;
  u.id = rows::id(row, 0);
  u.state = parse_state(rows::text(row, 1));
  if (u.state == model::upload_state::rejected)
    u.reason = model::rejection_reason_from(rows::text(row, 2));
  if (auto file = rows::text(row, 3); !file.empty())
    u.file_id = uuid::parse(file);
  u.created_at = rows::time(row, 4);
  return u;
}

result<model::upload> find_upload(soci::session& sql, const std::string& owner,
                                  const std::string& id) {
  soci::row row;
  sql << find_sql, soci::use(id, "id"), soci::use(owner, "owner"), soci::into(row);
  if (!sql.got_data())
    return make_error(errc::not_found, "no such upload");
  return upload_from_row(row);
}

}  // namespace

boost::asio::awaitable<result<ports::upload_limits>> upload_repository::limits(uuid owner,
                                                                             std::string name) {
  auto job = [owner = owner.to_string(),
              name = std::move(name)](soci::session& sql) -> result<ports::upload_limits> {
    long long used = 0;
    long long quota = 0;
    long long max_file = 0;
    int taken = 0;
    sql << limits_sql, soci::use(name, "name"), soci::use(owner, "owner"), soci::into(used),
        soci::into(quota), soci::into(max_file), soci::into(taken);
    if (!sql.got_data())
      return make_error(errc::not_found, "no such user");
    return ports::upload_limits{{static_cast<std::uint64_t>(used),
                                 static_cast<std::uint64_t>(quota),
                                 static_cast<std::uint64_t>(max_file)},
                                taken != 0};
  };
  co_return co_await run_query(pool_, std::move(job));
}

boost::asio::awaitable<void> upload_repository::create_pending(uuid owner, uuid upload_id) {
  auto job = [owner = owner.to_string(), id = upload_id.to_string()](soci::session& sql) {
    sql << insert_sql, soci::use(id, "id"), soci::use(owner, "owner");
  };
  co_await run_query(pool_, std::move(job));
}

boost::asio::awaitable<void> upload_repository::hold_object(
    uuid owner, uuid upload_id, std::string object_key,
    std::optional<std::string> multipart_upload_id, std::chrono::milliseconds abandon_after) {
  if (!object_key.starts_with(model::object_key_prefix(owner)))
    throw std::invalid_argument("hold_object: the key is not the owner's");
  auto job = [key = std::move(object_key), id = upload_id.to_string(),
              multipart = std::move(multipart_upload_id),
              after = static_cast<long long>(abandon_after.count())](soci::session& sql) {
    soci::indicator has_multipart = multipart ? soci::i_ok : soci::i_null;
    const std::string multipart_text = multipart.value_or("");
    sql << hold_sql, soci::use(key, "key"), soci::use(id, "id"),
        soci::use(multipart_text, has_multipart, "multipart"), soci::use(after, "after_ms");
  };
  co_await run_query(pool_, std::move(job));
}

boost::asio::awaitable<void> upload_repository::release_object(uuid owner,
                                                               std::string object_key) {
  auto job = [key = std::move(object_key),
              prefix = model::object_key_prefix(owner)](soci::session& sql) {
    sql << release_sql, soci::use(key, "key"), soci::use(prefix, "prefix");
  };
  co_await run_query(pool_, std::move(job));
}

boost::asio::awaitable<result<model::upload>> upload_repository::find(uuid owner, uuid upload_id) {
  auto job = [owner = owner.to_string(), id = upload_id.to_string()](soci::session& sql) {
    return find_upload(sql, owner, id);
  };
  co_return co_await run_query(pool_, std::move(job));
}

boost::asio::awaitable<result<model::upload>> upload_repository::reject_if_pending(
    uuid owner, uuid upload_id, model::rejection_reason why) {
  auto job = [owner = owner.to_string(), id = upload_id.to_string(),
              reason = std::string(model::to_string(why))](soci::session& sql) {
    sql << reject_sql, soci::use(reason, "reason"), soci::use(id, "id"), soci::use(owner, "owner");
    return find_upload(sql, owner, id);
  };
  co_return co_await run_query(pool_, std::move(job));
}

}  // namespace kemas::postgres
