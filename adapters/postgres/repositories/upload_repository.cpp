#include "adapters/postgres/repositories/upload_repository.hpp"

#include "adapters/postgres/repositories/file_rows.hpp"
#include "adapters/postgres/repositories/prepared_query.hpp"
#include "domain/model/object_key.hpp"

#include <soci/soci.h>

#include <chrono>
#include <stdexcept>
#include <utility>

namespace kemas::postgres {
namespace {

// Each upload runs limits and insert once, and find once the worker's commit signalled it:
// prepared, on the api's pipeline when it has one (prepared_query.hpp).

// The plan in force now (user_limits: a past-due premium counts as free at once) and the
// name check (files_owner_name_live_key), one statement. $1 name, $2 owner.
const prepared_statement limits_statement{
    "kemas_upload_limits",
    "SELECT l.used_bytes + l.reserved_bytes, l.quota_bytes, l.max_file_bytes, EXISTS (SELECT 1 "
    "FROM files f WHERE f.owner_id = l.user_id AND f.name = $1 AND f.state <> 'deleted')::int "
    "FROM user_limits l WHERE l.user_id = CAST($2 AS uuid)"};

// A write: behind a sync point of its own on the pipeline. $1 id, $2 owner.
const prepared_statement insert_statement{
    "kemas_upload_insert",
    "INSERT INTO uploads (id, owner_id) VALUES (CAST($1 AS uuid), CAST($2 AS uuid))",
    /*alone=*/true};

// The upload and its file while that is live: one statement where the row and then the file
// were two. The file is joined by its primary key alone and its owner compared by
// record_from_rows: with "f.owner_id = u.owner_id" in the join, PostgreSQL derived
// "f.owner_id = $2", and a generic plan made while files was nearly empty read every file of
// the owner through files_owner_name_c_idx on each call (auto_explain, the upload bench's
// first minute on a new database). File columns are NULL when there is none. $1 id, $2 owner.
const prepared_statement find_statement{
    "kemas_upload_find",
    "SELECT u.id::text, u.state, coalesce(u.reason, ''), coalesce(u.file_id::text, ''), "
    "(extract(epoch FROM u.created_at) * 1000)::bigint, " KEMAS_FILE_COLUMNS
    " FROM uploads u LEFT JOIN files f ON f.id = u.file_id AND f.state <> 'deleted' "
    "WHERE u.id = CAST($1 AS uuid) AND u.owner_id = CAST($2 AS uuid)"};
constexpr int first_file_column = 5;

// Only a pending upload can be rejected; a committed one stays committed. $1 reason, $2 id,
// $3 owner.
const prepared_statement reject_statement{
    "kemas_upload_reject",
    "UPDATE uploads SET state = 'rejected', reason = $1 "
    "WHERE id = CAST($2 AS uuid) AND owner_id = CAST($3 AS uuid) AND state = 'pending'"};

// The api's claim on an object it is about to store (0006_object_cleanup.sql), once per
// streamed upload. The second call of an upload (with the multipart id) keeps the first due
// time. The key holds the owner's id (model::object_key_for), and the upload must be the
// owner's own. $1 key, $2 upload, $3 multipart id or NULL, $4 abandon after (ms).
const prepared_statement hold_statement{
    "kemas_upload_hold",
    "INSERT INTO object_cleanup (object_key, upload_id, multipart_upload_id, due_at) "
    "VALUES ($1, CAST($2 AS uuid), $3, now() + CAST($4 AS bigint) * interval '1 millisecond') "
    "ON CONFLICT (object_key) DO UPDATE SET multipart_upload_id = EXCLUDED.multipart_upload_id "
    "WHERE object_cleanup.upload_id = EXCLUDED.upload_id",
    /*alone=*/true};

// The claim falls due at once: the cleaner takes the object. $1 key, $2 the owner's prefix.
const prepared_statement release_statement{
    "kemas_upload_release",
    "UPDATE object_cleanup SET due_at = now() WHERE object_key = $1 AND due_at > now() "
    "AND starts_with(object_key, $2)",
    /*alone=*/true};

model::upload_state parse_state(const std::string& text) {
  if (const auto state = model::upload_state_from(text))
    return *state;
  throw std::runtime_error("uploads.state: unknown value '" + text + "'");
}

result<model::upload> upload_from_rows(const prepared_rows& rows) {
  if (rows.size() == 0)
    return make_error(errc::not_found, "no such upload");
  model::upload u;
  u.id = rows.id(0, 0);
  u.state = parse_state(rows.text(0, 1));
  if (u.state == model::upload_state::rejected)
    u.reason = model::rejection_reason_from(rows.text(0, 2));
  if (auto file = rows.text(0, 3); !file.empty())
    u.file_id = uuid::parse(file);
  u.created_at = timestamp(std::chrono::milliseconds(rows.int64(0, 4)));
  return u;
}

// The owner's upload, and its file when that is live and the owner's too (the worker makes
// an upload's file for the upload's owner; the check keeps the query's scoping).
result<ports::upload_record> record_from_rows(const prepared_rows& rows, const uuid& owner) {
  auto upload = upload_from_rows(rows);
  if (!upload)
    return upload.error();
  ports::upload_record record{std::move(*upload), std::nullopt};
  if (!rows.is_null(0, first_file_column)) {
    auto file = rows::file(rows, 0, first_file_column);
    if (file.owner_id == owner)
      record.file = std::move(file);
  }
  return record;
}

}  // namespace

boost::asio::awaitable<result<ports::upload_limits>> upload_repository::limits(uuid owner,
                                                                             std::string name) {
  // Named, not temporaries inside the co_await: GCC 12 (asio#1007).
  statement_parameters parameters{std::move(name), owner.to_string()};
  auto from_rows = [](const prepared_rows& rows) -> result<ports::upload_limits> {
    if (rows.size() == 0)
      return make_error(errc::not_found, "no such user");
    return ports::upload_limits{{static_cast<std::uint64_t>(rows.int64(0, 0)),
                                 static_cast<std::uint64_t>(rows.int64(0, 1)),
                                 static_cast<std::uint64_t>(rows.int64(0, 2))},
                                rows.int64(0, 3) != 0};
  };
  co_return co_await run_prepared(pool_, pipeline_, limits_statement, std::move(parameters),
                                  std::move(from_rows));
}

boost::asio::awaitable<void> upload_repository::create_pending(uuid owner, uuid upload_id) {
  statement_parameters parameters{upload_id.to_string(), owner.to_string()};
  auto answered = [](const prepared_rows&) { return true; };
  co_await run_prepared(pool_, pipeline_, insert_statement, std::move(parameters),
                        std::move(answered));
}

boost::asio::awaitable<void> upload_repository::hold_object(
    uuid owner, uuid upload_id, std::string object_key,
    std::optional<std::string> multipart_upload_id, std::chrono::milliseconds abandon_after) {
  if (!object_key.starts_with(model::object_key_prefix(owner)))
    throw std::invalid_argument("hold_object: the key is not the owner's");
  statement_parameters parameters{std::move(object_key), upload_id.to_string(),
                                  std::move(multipart_upload_id),
                                  std::to_string(abandon_after.count())};
  auto answered = [](const prepared_rows&) { return true; };
  co_await run_prepared(pool_, pipeline_, hold_statement, std::move(parameters),
                        std::move(answered));
}

boost::asio::awaitable<void> upload_repository::release_object(uuid owner,
                                                               std::string object_key) {
  statement_parameters parameters{std::move(object_key), model::object_key_prefix(owner)};
  auto answered = [](const prepared_rows&) { return true; };
  co_await run_prepared(pool_, pipeline_, release_statement, std::move(parameters),
                        std::move(answered));
}

boost::asio::awaitable<result<ports::upload_record>> upload_repository::find(uuid owner,
                                                                           uuid upload_id) {
  statement_parameters parameters{upload_id.to_string(), owner.to_string()};
  auto from_rows = [owner](const prepared_rows& rows) { return record_from_rows(rows, owner); };
  co_return co_await run_prepared(pool_, pipeline_, find_statement, std::move(parameters),
                                  std::move(from_rows));
}

boost::asio::awaitable<result<model::upload>> upload_repository::reject_if_pending(
    uuid owner, uuid upload_id, model::rejection_reason why) {
  // Two statements, not one: a statement cannot see its own CTE's update.
  auto job = [owner, upload_id, reason = model::to_string(why)](soci::session& sql) {
    execute(sql, reject_statement, reason, upload_id, owner);
    return upload_from_rows(execute(sql, find_statement, upload_id, owner));
  };
  co_return co_await run_query(pool_, std::move(job));
}

}  // namespace kemas::postgres
