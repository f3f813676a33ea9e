#include "adapters/postgres/repositories/tus_repository.hpp"

#include "adapters/postgres/array_literal.hpp"
#include "adapters/postgres/prepared.hpp"
#include "adapters/postgres/repositories/rows.hpp"
#include "domain/hex.hpp"

#include <soci/soci.h>

#include <stdexcept>
#include <utility>

namespace kemas::postgres {
namespace {

using ports::tus_refusal;

// Every statement here is prepared (prepared.hpp): a PATCH runs the take-over and one record
// per part, none of them planned again.

// 1 statement: the room left (reservations count), the plan's file limit, the early name
// check, and the owner's unfinished uploads. $1 owner, $2 name.
const prepared_statement admission_statement{
    "kemas_tus_admission",
    "SELECT l.used_bytes + l.reserved_bytes, l.quota_bytes, l.max_file_bytes, "
    "EXISTS (SELECT 1 FROM files f WHERE f.owner_id = l.user_id AND f.name = CAST($2 AS text) "
    "AND f.state <> 'deleted')::int, "
    "(SELECT count(*) FROM tus_uploads t WHERE t.owner_id = l.user_id) "
    "FROM user_limits l WHERE l.user_id = CAST($1 AS uuid)"};

// 1 statement. The reservation is exact: concurrent creations by one owner queue on the
// owner's row, and the condition is evaluated again on the row each one finds after the
// wait (READ COMMITTED re-checks an UPDATE's WHERE on the newest version of its target).
// $1 bytes reserved (the length, or 0), $2 owner, $3 id, $4 file id, $5 object key, $6 name,
// $7 content type, $8 metadata, $9 length or NULL, $10 expiry (ms).
const prepared_statement create_statement{
    "kemas_tus_create",
    "WITH reserve AS ("
    " UPDATE users u SET reserved_bytes = u.reserved_bytes + CAST($1 AS bigint) "
    " FROM user_limits l WHERE u.id = CAST($2 AS uuid) AND l.user_id = u.id "
    " AND u.used_bytes + u.reserved_bytes + CAST($1 AS bigint) <= l.quota_bytes "
    " AND CAST($1 AS bigint) <= l.max_file_bytes RETURNING u.id) "
    "INSERT INTO tus_uploads (id, owner_id, file_id, object_key, name, content_type, metadata, "
    " length, reserved_bytes, expires_at) "
    "SELECT CAST($3 AS uuid), reserve.id, CAST($4 AS uuid), CAST($5 AS text), "
    " CAST($6 AS text), CAST($7 AS text), CAST($8 AS text), CAST($9 AS bigint), "
    " CAST($1 AS bigint), to_timestamp(CAST($10 AS bigint) / 1000.0) FROM reserve "
    "RETURNING (extract(epoch FROM created_at) * 1000)::bigint"};

#define KEMAS_TUS_COLUMNS                                                                  \
  "t.id::text, t.owner_id::text, t.file_id::text, t.object_key, t.name, t.content_type, "  \
  "t.metadata, coalesce(t.length, -1), t.\"offset\", t.state, "                           \
  "(extract(epoch FROM t.expires_at) * 1000)::bigint, "                                    \
  "(extract(epoch FROM t.created_at) * 1000)::bigint"
constexpr std::size_t tus_column_count = 12;

// 1 statement: the upload, or the file it became. $1 id, $2 owner.
const prepared_statement find_statement{
    "kemas_tus_find",
    "SELECT " KEMAS_TUS_COLUMNS " FROM tus_uploads t "
    "WHERE t.id = CAST($1 AS uuid) AND t.owner_id = CAST($2 AS uuid) "
    "UNION ALL "
    "SELECT u.id::text, u.owner_id::text, f.id::text, f.object_key, f.name, f.content_type, '', "
    " f.size_bytes, f.size_bytes, 'committed', (extract(epoch FROM u.created_at) * 1000)::bigint, "
    " (extract(epoch FROM u.created_at) * 1000)::bigint "
    "FROM uploads u JOIN files f ON f.id = u.file_id "
    "WHERE u.id = CAST($1 AS uuid) AND u.owner_id = CAST($2 AS uuid) "
    "AND u.state = 'committed' LIMIT 1"};

// 1 statement on the fast path. The row is locked first (FOR UPDATE re-reads it after any
// wait), so `first` and the fence are the newest; the part numbers a body of the largest size
// can fill (with the tail before it) are reserved for this PATCH alone. $1 id, $2 owner,
// $3 the client's offset, $4 the largest body, $5 the part size.
const prepared_statement take_over_statement{
    "kemas_tus_take_over",
    "WITH cur AS ("
    " SELECT t.id, t.next_part AS first, LEAST(10001 - t.next_part, "
    "  (octet_length(t.tail) + LEAST(CAST($4 AS bigint), "
    "   GREATEST(coalesce(t.length, l.max_file_bytes) - t.\"offset\", 0)) "
    "   + CAST($5 AS bigint) - 1) / CAST($5 AS bigint)) AS block "
    " FROM tus_uploads t JOIN user_limits l ON l.user_id = t.owner_id "
    " WHERE t.id = CAST($1 AS uuid) AND t.owner_id = CAST($2 AS uuid) FOR UPDATE OF t) "
    "UPDATE tus_uploads t SET fence = t.fence + 1, next_part = cur.first + cur.block "
    "FROM cur, user_limits l WHERE t.id = cur.id AND l.user_id = t.owner_id "
    "AND t.state = 'open' AND t.expires_at > now() AND t.\"offset\" = CAST($3 AS bigint) "
    "RETURNING " KEMAS_TUS_COLUMNS ", t.fence, cur.first, cur.block, "
    "coalesce(t.multipart_upload_id, ''), encode(coalesce(t.sha256_state, ''::bytea), 'hex'), "
    "encode(t.tail, 'hex'), GREATEST(l.quota_bytes - l.used_bytes - l.reserved_bytes, 0), "
    "l.max_file_bytes"};

// Only after a refused take-over: why. $1 id, $2 owner.
const prepared_statement refusal_statement{
    "kemas_tus_refusal",
    "SELECT t.state, t.\"offset\", (t.expires_at <= now())::int FROM tus_uploads t "
    "WHERE t.id = CAST($1 AS uuid) AND t.owner_id = CAST($2 AS uuid)"};

// $1 id, $2 owner, $3 fence, $4 length.
const prepared_statement declare_length_statement{
    "kemas_tus_declare_length",
    "WITH t AS (SELECT id, owner_id FROM tus_uploads WHERE id = CAST($1 AS uuid) "
    " AND owner_id = CAST($2 AS uuid) AND fence = CAST($3 AS bigint) AND length IS NULL "
    " AND \"offset\" <= CAST($4 AS bigint) FOR UPDATE), "
    "r AS (UPDATE users u SET reserved_bytes = u.reserved_bytes + CAST($4 AS bigint) "
    " FROM user_limits l, t WHERE u.id = t.owner_id AND l.user_id = u.id "
    " AND u.used_bytes + u.reserved_bytes + CAST($4 AS bigint) <= l.quota_bytes "
    " AND CAST($4 AS bigint) <= l.max_file_bytes RETURNING u.id) "
    "UPDATE tus_uploads x SET length = CAST($4 AS bigint), reserved_bytes = CAST($4 AS bigint) "
    "FROM r, t WHERE x.id = t.id RETURNING 1"};

// 1 statement: the multipart id, and the object cleaner's claim on the key (its safety net
// for an api that dies mid-upload: due after the upload's expiry). $1 id, $2 owner, $3 fence,
// $4 multipart id, $5 object key, $6 due (ms).
const prepared_statement set_multipart_statement{
    "kemas_tus_set_multipart",
    "WITH t AS (UPDATE tus_uploads SET multipart_upload_id = CAST($4 AS text) "
    " WHERE id = CAST($1 AS uuid) AND owner_id = CAST($2 AS uuid) AND fence = CAST($3 AS bigint) "
    " RETURNING id), "
    "claim AS (INSERT INTO object_cleanup (object_key, upload_id, multipart_upload_id, due_at) "
    " SELECT CAST($5 AS text), t.id, CAST($4 AS text), "
    " to_timestamp(CAST($6 AS bigint) / 1000.0) "
    " FROM t ON CONFLICT (object_key) DO UPDATE SET "
    " multipart_upload_id = EXCLUDED.multipart_upload_id, due_at = EXCLUDED.due_at "
    " WHERE object_cleanup.upload_id = EXCLUDED.upload_id) "
    "SELECT count(*) FROM t"};

// 1 statement per acknowledged part (or per PATCH end): parts and position together.
// $1 id, $2 fence, $3 offset, $4 hash state (hex), $5 tail (hex), $6 first unused part (0:
// none), $7 part numbers, $8 their sizes, $9 their ETags.
const prepared_statement record_statement{
    "kemas_tus_record",
    "WITH t AS (UPDATE tus_uploads SET \"offset\" = CAST($3 AS bigint), "
    " sha256_state = decode(CAST($4 AS text), 'hex'), tail = decode(CAST($5 AS text), 'hex'), "
    " next_part = CASE WHEN CAST($6 AS int) > 0 "
    "  THEN LEAST(next_part, CAST($6 AS int)) ELSE next_part END "
    " WHERE id = CAST($1 AS uuid) AND fence = CAST($2 AS bigint) RETURNING id), "
    "p AS (INSERT INTO tus_parts (upload_id, number, size_bytes, etag) "
    " SELECT t.id, x.n, x.s, x.e FROM t, unnest(CAST($7 AS int[]), "
    " CAST($8 AS bigint[]), CAST($9 AS text[])) AS x(n, s, e)) "
    "SELECT count(*) FROM t"};

// $1 id.
const prepared_statement parts_statement{
    "kemas_tus_parts",
    "SELECT number, size_bytes, etag FROM tus_parts WHERE upload_id = CAST($1 AS uuid) "
    "ORDER BY number"};

// $1 id, $2 owner, $3 fence.
const prepared_statement start_commit_statement{
    "kemas_tus_start_commit",
    "WITH t AS (UPDATE tus_uploads SET state = 'completing' WHERE id = CAST($1 AS uuid) "
    " AND owner_id = CAST($2 AS uuid) AND fence = CAST($3 AS bigint) AND state = 'open' "
    " RETURNING id, owner_id) "
    "INSERT INTO uploads (id, owner_id) SELECT id, owner_id FROM t RETURNING 1"};

// Termination: the upload goes with its reservation; the cleaner's claim on the object comes
// due now (the api frees the parts at once; the claim is the fallback). $1 id, $2 owner.
const prepared_statement terminate_statement{
    "kemas_tus_terminate",
    "WITH t AS (DELETE FROM tus_uploads WHERE id = CAST($1 AS uuid) "
    " AND owner_id = CAST($2 AS uuid) AND state = 'open' "
    " RETURNING owner_id, reserved_bytes, object_key, multipart_upload_id), "
    "r AS (UPDATE users u SET reserved_bytes = u.reserved_bytes - t.reserved_bytes FROM t "
    " WHERE u.id = t.owner_id), "
    "c AS (UPDATE object_cleanup o SET due_at = now() FROM t "
    " WHERE o.object_key = t.object_key AND o.due_at > now()) "
    "SELECT object_key, coalesce(multipart_upload_id, '') FROM t"};

#undef KEMAS_TUS_COLUMNS

std::string unhex(const std::string& text) {
  if (text.size() % 2 != 0)
    throw std::runtime_error("tus_uploads: odd hex length");
  std::string out(text.size() / 2, '\0');
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = hex_value(text[2 * i]);
    const int lo = hex_value(text[2 * i + 1]);
    if (hi < 0 || lo < 0)
      throw std::runtime_error("tus_uploads: bad hex");
    out[i] = static_cast<char>(hi * 16 + lo);
  }
  return out;
}

model::tus_state parse_state(const std::string& text) {
  if (text == "open")
    return model::tus_state::open;
  if (text == "completing")
    return model::tus_state::completing;
  if (text == "committed")
    return model::tus_state::committed;
  throw std::runtime_error("tus_uploads.state: unknown value '" + text + "'");
}

model::tus_upload upload_from_row(const prepared_rows& rows, int row) {
  model::tus_upload u;
  u.id = rows.id(row, 0);
  u.owner_id = rows.id(row, 1);
  u.file_id = rows.id(row, 2);
  u.object_key = rows.text(row, 3);
  u.name = rows.text(row, 4);
  u.content_type = rows.text(row, 5);
  u.metadata = rows.text(row, 6);
  if (const long long length = rows.int64(row, 7); length >= 0)
    u.length = static_cast<std::uint64_t>(length);
  u.offset = static_cast<std::uint64_t>(rows.int64(row, 8));
  u.state = parse_state(rows.text(row, 9));
  u.expires_at = rows::time(rows, row, 10);
  u.created_at = rows::time(rows, row, 11);
  return u;
}

std::vector<model::tus_part> read_parts(soci::session& sql, const std::string& id) {
  const prepared_rows found = execute(sql, parts_statement, id);
  std::vector<model::tus_part> out;
  out.reserve(static_cast<std::size_t>(found.size()));
  for (int row = 0; row < found.size(); ++row) {
    out.push_back({static_cast<int>(found.int64(row, 0)),
                   static_cast<std::uint64_t>(found.int64(row, 1)), found.text(row, 2)});
  }
  return out;
}

}  // namespace

ports::async<result<ports::tus_admission>> tus_repository::admission(uuid owner,
                                                                    std::string name) {
  auto job = [owner = owner.to_string(),
              name = std::move(name)](soci::session& sql) -> result<ports::tus_admission> {
    const prepared_rows found = execute(sql, admission_statement, owner, name);
    if (found.size() == 0)
      return make_error(errc::not_found, "no such user");
    ports::tus_admission out;
    out.storage = {static_cast<std::uint64_t>(found.int64(0, 0)),
                   static_cast<std::uint64_t>(found.int64(0, 1)),
                   static_cast<std::uint64_t>(found.int64(0, 2))};
    out.name_taken = found.int64(0, 3) != 0;
    out.open_uploads = static_cast<std::uint64_t>(found.int64(0, 4));
    return out;
  };
  co_return co_await run_query(pool_, std::move(job));
}

ports::async<result<model::tus_upload>> tus_repository::create(ports::tus_draft draft) {
  auto job = [d = std::move(draft)](soci::session& sql) -> result<model::tus_upload> {
    const auto len = static_cast<long long>(d.length.value_or(0));
    std::optional<long long> length;
    if (d.length)
      length = len;
    const prepared_rows created =
        execute(sql, create_statement, len, d.owner_id, d.id, d.file_id, d.object_key, d.name,
                d.content_type, d.metadata, length, rows::epoch_ms(d.expires_at));
    if (created.size() == 0)
      return make_error(errc::quota_exceeded,
                        "the upload does not fit in your remaining storage", "file");
    const long long created_ms = created.int64(0, 0);
    model::tus_upload u;
    u.id = d.id;
    u.owner_id = d.owner_id;
    u.file_id = d.file_id;
    u.object_key = d.object_key;
    u.name = d.name;
    u.content_type = d.content_type;
    u.metadata = d.metadata;
    u.length = d.length;
    u.expires_at = d.expires_at;
    u.created_at = timestamp(std::chrono::milliseconds(created_ms));
    return u;
  };
  co_return co_await run_query(pool_, std::move(job));
}

ports::async<result<model::tus_upload>> tus_repository::find(uuid owner, uuid upload_id) {
  auto job = [owner = owner.to_string(),
              id = upload_id.to_string()](soci::session& sql) -> result<model::tus_upload> {
    const prepared_rows found = execute(sql, find_statement, id, owner);
    if (found.size() == 0)
      return make_error(errc::not_found, "no such upload");
    return upload_from_row(found, 0);
  };
  co_return co_await run_query(pool_, std::move(job));
}

ports::async<result<ports::tus_writer_state>> tus_repository::take_over(
    uuid owner, uuid upload_id, std::uint64_t client_offset, std::uint64_t max_body,
    std::uint64_t part_size) {
  auto job = [owner = owner.to_string(), id = upload_id.to_string(),
              offset = static_cast<long long>(client_offset),
              body = static_cast<long long>(max_body),
              part = static_cast<long long>(part_size)](
                 soci::session& sql) -> result<ports::tus_writer_state> {
    const prepared_rows taken = execute(sql, take_over_statement, id, owner, offset, body, part);
    if (taken.size() > 0) {
      ports::tus_writer_state w;
      w.upload = upload_from_row(taken, 0);
      int c = static_cast<int>(tus_column_count);
      w.fence = taken.int64(0, c++);
      w.first_part = static_cast<int>(taken.int64(0, c++));
      w.part_count = static_cast<int>(taken.int64(0, c++));
      if (auto multipart = taken.text(0, c++); !multipart.empty())
        w.multipart_upload_id = std::move(multipart);
      w.sha256_state = unhex(taken.text(0, c++));
      w.tail = unhex(taken.text(0, c++));
      w.room_bytes = static_cast<std::uint64_t>(taken.int64(0, c++));
      w.max_file_bytes = static_cast<std::uint64_t>(taken.int64(0, c++));
      return w;
    }
    const prepared_rows refusal = execute(sql, refusal_statement, id, owner);
    if (refusal.size() == 0)
      return make_error(errc::not_found, "no such upload");
    const std::string state = refusal.text(0, 0);
    const long long stored_offset = refusal.int64(0, 1);
    if (refusal.int64(0, 2) != 0)
      return make_error(errc::gone, "the upload expired");
    if (state != "open")
      return make_error(errc::conflict, "every byte of the upload is in", "offset");
    return make_error(errc::conflict,
                      "Upload-Offset is not the upload's offset (" +
                          std::to_string(stored_offset) + ")",
                      "offset");
  };
  co_return co_await run_query(pool_, std::move(job));
}

ports::async<result<void>> tus_repository::declare_length(uuid owner, uuid upload_id,
                                                          std::int64_t fence,
                                                          std::uint64_t length) {
  auto job = [owner = owner.to_string(), id = upload_id.to_string(),
              fence = static_cast<long long>(fence),
              len = static_cast<long long>(length)](soci::session& sql) -> result<void> {
    if (execute(sql, declare_length_statement, id, owner, fence, len).size() == 0)
      return make_error(errc::quota_exceeded,
                        "the upload does not fit in your remaining storage", "file");
    return result<void>{};
  };
  co_return co_await run_query(pool_, std::move(job));
}

ports::async<bool> tus_repository::set_multipart(uuid owner, uuid upload_id, std::int64_t fence,
                                                 std::string object_key,
                                                 std::string multipart_upload_id,
                                                 timestamp abandon_at) {
  auto job = [owner = owner.to_string(), id = upload_id.to_string(),
              fence = static_cast<long long>(fence), key = std::move(object_key),
              multipart = std::move(multipart_upload_id),
              due = rows::epoch_ms(abandon_at)](soci::session& sql) {
    return execute(sql, set_multipart_statement, id, owner, fence, multipart, key, due)
               .int64(0, 0) == 1;
  };
  co_return co_await run_query(pool_, std::move(job));
}

ports::async<bool> tus_repository::record(uuid upload_id, std::int64_t fence,
                                          ports::tus_progress progress) {
  auto job = [id = upload_id.to_string(), fence = static_cast<long long>(fence),
              p = std::move(progress)](soci::session& sql) {
    const auto offset = static_cast<long long>(p.offset);
    const std::string sha = hex_lower(p.sha256_state);
    const std::string tail = hex_lower(p.tail);
    std::vector<std::int64_t> numbers;
    std::vector<std::int64_t> sizes;
    std::vector<std::string> etags;
    for (const auto& part : p.parts) {
      numbers.push_back(part.number);
      sizes.push_back(static_cast<std::int64_t>(part.size));
      etags.push_back(part.etag);
    }
    return execute(sql, record_statement, id, fence, offset, sha, tail, p.unused_from,
                   integer_array_literal(numbers), integer_array_literal(sizes),
                   text_array_literal(etags))
               .int64(0, 0) == 1;
  };
  co_return co_await run_query(pool_, std::move(job));
}

ports::async<std::vector<model::tus_part>> tus_repository::parts(uuid upload_id) {
  auto job = [id = upload_id.to_string()](soci::session& sql) { return read_parts(sql, id); };
  co_return co_await run_query(pool_, std::move(job));
}

ports::async<bool> tus_repository::start_commit(uuid owner, uuid upload_id, std::int64_t fence) {
  auto job = [owner = owner.to_string(), id = upload_id.to_string(),
              fence = static_cast<long long>(fence)](soci::session& sql) {
    return execute(sql, start_commit_statement, id, owner, fence).size() > 0;
  };
  co_return co_await run_query(pool_, std::move(job));
}

ports::async<result<ports::tus_store::terminated>> tus_repository::terminate(uuid owner,
                                                                             uuid upload_id) {
  auto job = [owner = owner.to_string(),
              id = upload_id.to_string()](soci::session& sql) -> result<terminated> {
    soci::transaction tx(sql);
    terminated out;
    out.parts = read_parts(sql, id);
    const prepared_rows ended = execute(sql, terminate_statement, id, owner);
    if (ended.size() == 0)
      return make_error(errc::not_found, "no such upload");
    out.object_key = ended.text(0, 0);
    std::string multipart = ended.text(0, 1);
    if (!multipart.empty())
      out.multipart_upload_id = std::move(multipart);
    tx.commit();
    return out;
  };
  co_return co_await run_query(pool_, std::move(job));
}

}  // namespace kemas::postgres
