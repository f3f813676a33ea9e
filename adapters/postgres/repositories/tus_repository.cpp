#include "adapters/postgres/repositories/tus_repository.hpp"

#include "adapters/postgres/array_literal.hpp"
#include "adapters/postgres/repositories/rows.hpp"
#include "domain/hex.hpp"

#include <soci/soci.h>

#include <stdexcept>
#include <utility>

namespace kemas::postgres {
namespace {

using ports::tus_refusal;

// 1 statement: the room left (reservations count), the plan's file limit, the early name
// check, and the owner's unfinished uploads.
constexpr const char* admission_sql =
    "SELECT l.used_bytes + l.reserved_bytes, l.quota_bytes, l.max_file_bytes, "
    "EXISTS (SELECT 1 FROM files f WHERE f.owner_id = l.user_id AND f.name = :name "
    "AND f.state <> 'deleted')::int, "
    "(SELECT count(*) FROM tus_uploads t WHERE t.owner_id = l.user_id) "
    "FROM user_limits l WHERE l.user_id = CAST(:owner AS uuid)";

// 1 statement. The reservation is exact: concurrent creations by one owner queue on the
// owner's row, and the condition is evaluated again on the row each one finds after the
// wait (READ COMMITTED re-checks an UPDATE's WHERE on the newest version of its target).
constexpr const char* create_sql =
    "WITH reserve AS ("
    " UPDATE users u SET reserved_bytes = u.reserved_bytes + :len "
    " FROM user_limits l WHERE u.id = CAST(:owner AS uuid) AND l.user_id = u.id "
    " AND u.used_bytes + u.reserved_bytes + :len_fits <= l.quota_bytes "
    " AND :len_max <= l.max_file_bytes RETURNING u.id) "
    "INSERT INTO tus_uploads (id, owner_id, file_id, object_key, name, content_type, metadata, "
    " length, reserved_bytes, expires_at) "
    "SELECT CAST(:id AS uuid), reserve.id, CAST(:file_id AS uuid), :key, :file_name, :type, "
    " :metadata, CAST(:length AS bigint), :reserved, "
    " to_timestamp(CAST(:expires_ms AS bigint) / 1000.0) FROM reserve "
    "RETURNING (extract(epoch FROM created_at) * 1000)::bigint";

#define KEMAS_TUS_COLUMNS                                                                  \
  "t.id::text, t.owner_id::text, t.file_id::text, t.object_key, t.name, t.content_type, "  \
  "t.metadata, coalesce(t.length, -1), t.\"offset\", t.state, "                           \
  "(extract(epoch FROM t.expires_at) * 1000)::bigint, "                                    \
  "(extract(epoch FROM t.created_at) * 1000)::bigint"
constexpr std::size_t tus_column_count = 12;

// 1 statement: the upload, or the file it became.
constexpr const char* find_sql =
    "SELECT " KEMAS_TUS_COLUMNS " FROM tus_uploads t "
    "WHERE t.id = CAST(:id AS uuid) AND t.owner_id = CAST(:owner AS uuid) "
    "UNION ALL "
    "SELECT u.id::text, u.owner_id::text, f.id::text, f.object_key, f.name, f.content_type, '', "
    " f.size_bytes, f.size_bytes, 'committed', (extract(epoch FROM u.created_at) * 1000)::bigint, "
    " (extract(epoch FROM u.created_at) * 1000)::bigint "
    "FROM uploads u JOIN files f ON f.id = u.file_id "
    "WHERE u.id = CAST(:id_done AS uuid) AND u.owner_id = CAST(:owner_done AS uuid) "
    "AND u.state = 'committed' LIMIT 1";

// 1 statement on the fast path. The row is locked first (FOR UPDATE re-reads it after any
// wait), so `first` and the fence are the newest; the part numbers a body of :max_body bytes
// can fill (with the tail before it) are reserved for this PATCH alone.
constexpr const char* take_over_sql =
    "WITH cur AS ("
    " SELECT t.id, t.next_part AS first, LEAST(10001 - t.next_part, "
    "  (octet_length(t.tail) + LEAST(CAST(:max_body AS bigint), "
    "   GREATEST(coalesce(t.length, l.max_file_bytes) - t.\"offset\", 0)) "
    "   + CAST(:part_size AS bigint) - 1) / CAST(:part_size_div AS bigint)) AS block "
    " FROM tus_uploads t JOIN user_limits l ON l.user_id = t.owner_id "
    " WHERE t.id = CAST(:id AS uuid) AND t.owner_id = CAST(:owner AS uuid) FOR UPDATE OF t) "
    "UPDATE tus_uploads t SET fence = t.fence + 1, next_part = cur.first + cur.block "
    "FROM cur, user_limits l WHERE t.id = cur.id AND l.user_id = t.owner_id "
    "AND t.state = 'open' AND t.expires_at > now() AND t.\"offset\" = :client_offset "
    "RETURNING " KEMAS_TUS_COLUMNS ", t.fence, cur.first, cur.block, "
    "coalesce(t.multipart_upload_id, ''), encode(coalesce(t.sha256_state, ''::bytea), 'hex'), "
    "encode(t.tail, 'hex'), GREATEST(l.quota_bytes - l.used_bytes - l.reserved_bytes, 0), "
    "l.max_file_bytes";

// Only after a refused take-over: why.
constexpr const char* refusal_sql =
    "SELECT t.state, t.\"offset\", (t.expires_at <= now())::int FROM tus_uploads t "
    "WHERE t.id = CAST(:id AS uuid) AND t.owner_id = CAST(:owner AS uuid)";

constexpr const char* declare_length_sql =
    "WITH t AS (SELECT id, owner_id FROM tus_uploads WHERE id = CAST(:id AS uuid) "
    " AND owner_id = CAST(:owner AS uuid) AND fence = :fence AND length IS NULL "
    " AND \"offset\" <= :len_offset FOR UPDATE), "
    "r AS (UPDATE users u SET reserved_bytes = u.reserved_bytes + :len "
    " FROM user_limits l, t WHERE u.id = t.owner_id AND l.user_id = u.id "
    " AND u.used_bytes + u.reserved_bytes + :len_fits <= l.quota_bytes "
    " AND :len_max <= l.max_file_bytes RETURNING u.id) "
    "UPDATE tus_uploads x SET length = :len_set, reserved_bytes = :len_reserved "
    "FROM r, t WHERE x.id = t.id RETURNING 1";

// 1 statement: the multipart id, and the object cleaner's claim on the key (its safety net
// for an api that dies mid-upload: due after the upload's expiry).
constexpr const char* set_multipart_sql =
    "WITH t AS (UPDATE tus_uploads SET multipart_upload_id = :multipart "
    " WHERE id = CAST(:id AS uuid) AND owner_id = CAST(:owner AS uuid) AND fence = :fence "
    " RETURNING id), "
    "claim AS (INSERT INTO object_cleanup (object_key, upload_id, multipart_upload_id, due_at) "
    " SELECT :key, t.id, :multipart_claim, to_timestamp(CAST(:due_ms AS bigint) / 1000.0) "
    " FROM t ON CONFLICT (object_key) DO UPDATE SET "
    " multipart_upload_id = EXCLUDED.multipart_upload_id, due_at = EXCLUDED.due_at "
    " WHERE object_cleanup.upload_id = EXCLUDED.upload_id) "
    "SELECT count(*) FROM t";

// 1 statement per acknowledged part (or per PATCH end): parts and position together.
constexpr const char* record_sql =
    "WITH t AS (UPDATE tus_uploads SET \"offset\" = :offset, "
    " sha256_state = decode(:sha, 'hex'), tail = decode(:tail, 'hex'), "
    " next_part = CASE WHEN CAST(:unused AS int) > 0 "
    "  THEN LEAST(next_part, CAST(:unused_again AS int)) ELSE next_part END "
    " WHERE id = CAST(:id AS uuid) AND fence = :fence RETURNING id), "
    "p AS (INSERT INTO tus_parts (upload_id, number, size_bytes, etag) "
    " SELECT t.id, x.n, x.s, x.e FROM t, unnest(CAST(:numbers AS int[]), "
    " CAST(:sizes AS bigint[]), CAST(:etags AS text[])) AS x(n, s, e)) "
    "SELECT count(*) FROM t";

constexpr const char* parts_sql =
    "SELECT number, size_bytes, etag FROM tus_parts WHERE upload_id = CAST(:id AS uuid) "
    "ORDER BY number";

constexpr const char* start_commit_sql =
    "WITH t AS (UPDATE tus_uploads SET state = 'completing' WHERE id = CAST(:id AS uuid) "
    " AND owner_id = CAST(:owner AS uuid) AND fence = :fence AND state = 'open' "
    " RETURNING id, owner_id) "
    "INSERT INTO uploads (id, owner_id) SELECT id, owner_id FROM t RETURNING 1";

// Termination: the upload goes with its reservation; the cleaner's claim on the object comes
// due now (the api frees the parts at once; the claim is the fallback).
constexpr const char* terminate_sql =
    "WITH t AS (DELETE FROM tus_uploads WHERE id = CAST(:id AS uuid) "
    " AND owner_id = CAST(:owner AS uuid) AND state = 'open' "
    " RETURNING owner_id, reserved_bytes, object_key, multipart_upload_id), "
    "r AS (UPDATE users u SET reserved_bytes = u.reserved_bytes - t.reserved_bytes FROM t "
    " WHERE u.id = t.owner_id), "
    "c AS (UPDATE object_cleanup o SET due_at = now() FROM t "
    " WHERE o.object_key = t.object_key AND o.due_at > now()) "
    "SELECT object_key, coalesce(multipart_upload_id, '') FROM t";

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

model::tus_upload upload_from_row(const soci::row& row) {
  model::tus_upload u;
  u.id = rows::id(row, 0);
  u.owner_id = rows::id(row, 1);
  u.file_id = rows::id(row, 2);
  u.object_key = rows::text(row, 3);
  u.name = rows::text(row, 4);
  u.content_type = rows::text(row, 5);
  u.metadata = rows::text(row, 6);
  if (const long long length = rows::int64(row, 7); length >= 0)
    u.length = static_cast<std::uint64_t>(length);
  u.offset = static_cast<std::uint64_t>(rows::int64(row, 8));
  u.state = parse_state(rows::text(row, 9));
  u.expires_at = rows::time(row, 10);
  u.created_at = rows::time(row, 11);
  return u;
}

std::string int_array(const std::vector<model::tus_part>& parts, bool sizes) {
  std::string out = "{";
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i)
      out += ',';
    out += sizes ? std::to_string(parts[i].size) : std::to_string(parts[i].number);
  }
  return out + "}";
}

std::vector<model::tus_part> read_parts(soci::session& sql, const std::string& id) {
  std::vector<model::tus_part> out;
  soci::rowset<soci::row> found = (sql.prepare << parts_sql, soci::use(id, "id"));
  for (const auto& row : found) {
    out.push_back({static_cast<int>(rows::int64(row, 0)),
                   static_cast<std::uint64_t>(rows::int64(row, 1)), rows::text(row, 2)});
  }
  return out;
}

}  // namespace

ports::async<result<ports::tus_admission>> tus_repository::admission(uuid owner,
                                                                    std::string name) {
  auto job = [owner = owner.to_string(),
              name = std::move(name)](soci::session& sql) -> result<ports::tus_admission> {
    long long used = 0;
    long long quota = 0;
    long long max_file = 0;
    int taken = 0;
    long long open = 0;
    sql << admission_sql, soci::use(name, "name"), soci::use(owner, "owner"), soci::into(used),
        soci::into(quota), soci::into(max_file), soci::into(taken), soci::into(open);
    if (!sql.got_data())
      return make_error(errc::not_found, "no such user");
    ports::tus_admission out;
    out.storage = {static_cast<std::uint64_t>(used), static_cast<std::uint64_t>(quota),
                   static_cast<std::uint64_t>(max_file)};
    out.name_taken = taken != 0;
    out.open_uploads = static_cast<std::uint64_t>(open);
    return out;
  };
  co_return co_await run_query(pool_, std::move(job));
}

ports::async<result<model::tus_upload>> tus_repository::create(ports::tus_draft draft) {
  auto job = [d = std::move(draft)](soci::session& sql) -> result<model::tus_upload> {
    const auto len = static_cast<long long>(d.length.value_or(0));
    const std::string owner = d.owner_id.to_string();
    const std::string id = d.id.to_string();
    const std::string file_id = d.file_id.to_string();
    const long long expires_ms = rows::epoch_ms(d.expires_at);
    soci::indicator has_length = d.length ? soci::i_ok : soci::i_null;
    long long created_ms = 0;
    sql << create_sql, soci::use(len, "len"), soci::use(owner, "owner"),
        soci::use(len, "len_fits"), soci::use(len, "len_max"), soci::use(id, "id"),
        soci::use(file_id, "file_id"), soci::use(d.object_key, "key"),
        soci::use(d.name, "file_name"), soci::use(d.content_type, "type"),
        soci::use(d.metadata, "metadata"), soci::use(len, has_length, "length"),
        soci::use(len, "reserved"), soci::use(expires_ms, "expires_ms"), soci::into(created_ms);
    if (!sql.got_data())
      return make_error(errc::quota_exceeded,
                        "the upload does not fit in your remaining storage", "file");
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
    soci::row row;
    sql << find_sql, soci::use(id, "id"), soci::use(owner, "owner"), soci::use(id, "id_done"),
        soci::use(owner, "owner_done"), soci::into(row);
    if (!sql.got_data())
      return make_error(errc::not_found, "no such upload");
    return upload_from_row(row);
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
    soci::row row;
    sql << take_over_sql, soci::use(body, "max_body"), soci::use(part, "part_size"),
        soci::use(part, "part_size_div"), soci::use(id, "id"), soci::use(owner, "owner"),
        soci::use(offset, "client_offset"), soci::into(row);
    if (sql.got_data()) {
      ports::tus_writer_state w;
      w.upload = upload_from_row(row);
      std::size_t c = tus_column_count;
      w.fence = rows::int64(row, c++);
      w.first_part = static_cast<int>(rows::int64(row, c++));
      w.part_count = static_cast<int>(rows::int64(row, c++));
      if (auto multipart = rows::text(row, c++); !multipart.empty())
        w.multipart_upload_id = std::move(multipart);
      w.sha256_state = unhex(rows::text(row, c++));
      w.tail = unhex(rows::text(row, c++));
      w.room_bytes = static_cast<std::uint64_t>(rows::int64(row, c++));
      w.max_file_bytes = static_cast<std::uint64_t>(rows::int64(row, c++));
      return w;
    }
    std::string state;
    long long stored_offset = 0;
    int expired = 0;
    sql << refusal_sql, soci::use(id, "id"), soci::use(owner, "owner"), soci::into(state),
        soci::into(stored_offset), soci::into(expired);
    if (!sql.got_data())
      return make_error(errc::not_found, "no such upload");
    if (expired != 0)
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
    int done = 0;
    sql << declare_length_sql, soci::use(id, "id"), soci::use(owner, "owner"),
        soci::use(fence, "fence"), soci::use(len, "len_offset"), soci::use(len, "len"),
        soci::use(len, "len_fits"), soci::use(len, "len_max"), soci::use(len, "len_set"),
        soci::use(len, "len_reserved"), soci::into(done);
    if (!sql.got_data())
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
    long long updated = 0;
    sql << set_multipart_sql, soci::use(multipart, "multipart"), soci::use(id, "id"),
        soci::use(owner, "owner"), soci::use(fence, "fence"), soci::use(key, "key"),
        soci::use(multipart, "multipart_claim"), soci::use(due, "due_ms"), soci::into(updated);
    return updated == 1;
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
    const std::string numbers = int_array(p.parts, false);
    const std::string sizes = int_array(p.parts, true);
    std::vector<std::string> etag_list;
    for (const auto& part : p.parts)
      etag_list.push_back(part.etag);
    const std::string etags = text_array_literal(etag_list);
    long long updated = 0;
    const int unused = p.unused_from;
    sql << record_sql, soci::use(offset, "offset"), soci::use(sha, "sha"),
        soci::use(tail, "tail"), soci::use(unused, "unused"), soci::use(unused, "unused_again"),
        soci::use(id, "id"), soci::use(fence, "fence"),
        soci::use(numbers, "numbers"), soci::use(sizes, "sizes"), soci::use(etags, "etags"),
        soci::into(updated);
    return updated == 1;
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
    int inserted = 0;
    sql << start_commit_sql, soci::use(id, "id"), soci::use(owner, "owner"),
        soci::use(fence, "fence"), soci::into(inserted);
    return sql.got_data();
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
    std::string multipart;
    sql << terminate_sql, soci::use(id, "id"), soci::use(owner, "owner"),
        soci::into(out.object_key), soci::into(multipart);
    if (!sql.got_data())
      return make_error(errc::not_found, "no such upload");
    if (!multipart.empty())
      out.multipart_upload_id = std::move(multipart);
    tx.commit();
    return out;
  };
  co_return co_await run_query(pool_, std::move(job));
}

}  // namespace kemas::postgres
