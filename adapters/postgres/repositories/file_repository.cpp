#include "adapters/postgres/repositories/file_repository.hpp"

#include "adapters/postgres/errors.hpp"
#include "adapters/postgres/repositories/rows.hpp"

#include <soci/soci.h>

#include <stdexcept>
#include <utility>

namespace kemas::postgres {
namespace {

// Columns of a model::file, in the order file_from_row reads them. Times as microseconds:
// the cursor must round-trip created_at exactly, or rows of the same millisecond would be
// skipped or repeated at a page boundary.
#define KEMAS_FILE_COLUMNS                                                         \
  "f.id::text, f.owner_id::text, f.name, f.content_type, f.size_bytes, f.sha256, " \
  "f.object_key, f.state, (extract(epoch FROM f.created_at) * 1000000)::bigint"

// The list is one statement: the owner's totals (user_limits: counters kept by the upload
// and delete transactions) joined with one page of files walked along an index
// (files_owner_created_idx or files_owner_name_c_idx) from the cursor on. One statement is one
// snapshot, so the page and the totals agree without a transaction. An owner without files
// yields one row whose file columns are NULL.
constexpr const char* list_head_sql =
    "SELECT l.file_count, l.used_bytes, l.quota_bytes, " KEMAS_FILE_COLUMNS
    " FROM user_limits l LEFT JOIN LATERAL (SELECT x.* FROM files x "
    "WHERE x.owner_id = l.user_id AND x.state <> 'deleted' AND starts_with(x.name, :prefix) ";
// Keyset conditions: strictly after the previous page's last row in the listing order.
constexpr const char* after_created_sql =
    "AND (x.created_at, x.id) < (timestamptz 'epoch' + CAST(:after_us AS bigint) * "
    "interval '1 microsecond', CAST(:after_id AS uuid)) ";
constexpr const char* after_name_sql =
    "AND (x.name COLLATE \"C\", x.id) > (CAST(:after_name AS text) COLLATE \"C\", "
    "CAST(:after_id AS uuid)) ";
constexpr const char* order_created_sql =
    "ORDER BY x.created_at DESC, x.id DESC LIMIT :row_limit) f ON true "
    "WHERE l.user_id = CAST(:owner AS uuid) ORDER BY f.created_at DESC, f.id DESC";
constexpr const char* order_name_sql =
    "ORDER BY x.name COLLATE \"C\", x.id LIMIT :row_limit) f ON true "
    "WHERE l.user_id = CAST(:owner AS uuid) ORDER BY f.name COLLATE \"C\", f.id";


// Real-time enforcement of an expired plan (0002_plans_billing.sql, view user_limits).
constexpr const char* expired_quota_sql =
    "SELECT expired::int, quota_bytes FROM user_limits WHERE user_id = CAST(:owner AS uuid)";
constexpr const char* quota_files_sql =
    "SELECT id::text, size_bytes, (extract(epoch FROM created_at) * 1000)::bigint, "
    "(state = 'locked')::int FROM files WHERE owner_id = CAST(:owner AS uuid) "
    "AND state <> 'deleted'";

constexpr const char* find_sql = "SELECT " KEMAS_FILE_COLUMNS
                                 " FROM files f WHERE f.id = CAST(:id AS uuid) "
                                 "AND f.owner_id = CAST(:owner AS uuid) AND f.state <> 'deleted'";

constexpr const char* rename_sql =
    "UPDATE files AS f SET name = :name WHERE f.id = CAST(:id AS uuid) "
    "AND f.owner_id = CAST(:owner AS uuid) AND f.state <> 'deleted' RETURNING " KEMAS_FILE_COLUMNS;

#undef KEMAS_FILE_COLUMNS

model::file_state parse_state(const std::string& text) {
  if (const auto state = model::file_state_from(text))
    return *state;
  throw std::runtime_error("files.state: unknown value '" + text + "'");
}

// A file whose columns start at `first` (list rows carry the totals before them).
model::file file_from_row(const soci::row& row, std::size_t first = 0) {
  return {.id = rows::id(row, first), .owner_id = rows::id(row, first + 1),
          .name = rows::text(row, first + 2), .content_type = rows::text(row, first + 3),
          .size = static_cast<std::uint64_t>(rows::int64(row, first + 4)),
          .sha256 = rows::text(row, first + 5), .object_key = rows::text(row, first + 6),
          .state = parse_state(rows::text(row, first + 7)),
          .created_us = rows::int64(row, first + 8)};
}

ports::file_list read_list(soci::session& sql, const ports::file_list_query& q) {
  const bool by_name = q.sort == ports::file_sort::name_asc;
  std::string text = list_head_sql;
  if (q.after)
    text += by_name ? after_name_sql : after_created_sql;
  text += by_name ? order_name_sql : order_created_sql;

  const std::string owner = q.owner.to_string();
  // One row more than asked tells whether another page follows.
  int row_limit = static_cast<int>(q.limit) + 1;
  long long after_us = q.after ? q.after->created_us : 0;
  std::string after_name = q.after ? q.after->name : std::string();
  std::string after_id = q.after ? q.after->id.to_string() : std::string();

  soci::statement st(sql);
  soci::row row;
  st.exchange(soci::use(q.prefix, "prefix"));
  if (q.after && by_name)
    st.exchange(soci::use(after_name, "after_name"));
  if (q.after && !by_name)
    st.exchange(soci::use(after_us, "after_us"));
  if (q.after)
    st.exchange(soci::use(after_id, "after_id"));
  st.exchange(soci::use(row_limit, "row_limit"));
  st.exchange(soci::use(owner, "owner"));
  st.exchange(soci::into(row));
  st.alloc();
  st.prepare(text);
  st.define_and_bind();
  ports::file_list out;
  constexpr std::size_t first_file_column = 3;
  if (st.execute(true)) {
    out.total = rows::int64(row, 0);
    out.used_bytes = rows::int64(row, 1);
    out.quota_bytes = rows::int64(row, 2);
    do {
      if (row.get_indicator(first_file_column) != soci::i_null)
        out.files.push_back(file_from_row(row, first_file_column));
    } while (st.fetch());
  }
  if (out.files.size() > q.limit) {
    out.files.resize(q.limit);
    out.more = true;
  }
  return out;
}

bool plan_expired(soci::session& sql, const std::string& owner, long long& quota) {
  int expired = 0;
  sql << expired_quota_sql, soci::use(owner, "owner"), soci::into(expired), soci::into(quota);
  return sql.got_data() && expired != 0;
}

std::optional<ports::past_due_storage> read_past_due(soci::session& sql, const std::string& owner) {
  long long quota = 0;
  // The common case (plan in force) costs one statement, without a transaction.
  if (!plan_expired(sql, owner, quota))
    return std::nullopt;
  soci::transaction tx(sql);
  sql << "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY";
  // Again inside the snapshot: a worker may have downgraded the account meanwhile (then its
  // locks are in the rows and the state check of the caller is enough).
  if (!plan_expired(sql, owner, quota)) {
    tx.commit();
    return std::nullopt;
  }
  ports::past_due_storage out;
  out.quota_bytes = static_cast<std::uint64_t>(quota);
  soci::rowset<soci::row> rs = (sql.prepare << quota_files_sql, soci::use(owner, "owner"));
  for (const auto& row : rs) {
    quota_file f;
    f.id = rows::id(row, 0);
    f.size = static_cast<std::uint64_t>(rows::int64(row, 1));
    f.created_at = rows::time(row, 2);
    f.locked = rows::boolean(row, 3);
    out.files.push_back(f);
  }
  tx.commit();
  return out;
}

}  // namespace


boost::asio::awaitable<ports::file_list> file_repository::list(ports::file_list_query query) {
  auto job = [q = std::move(query)](soci::session& sql) { return read_list(sql, q); };
  co_return co_await run_query(pool_, std::move(job));
}

boost::asio::awaitable<result<model::file>> file_repository::find(uuid owner, uuid file_id) {
  auto job = [owner = owner.to_string(),
              id = file_id.to_string()](soci::session& sql) -> result<model::file> {
    soci::row row;
    sql << find_sql, soci::use(id, "id"), soci::use(owner, "owner"), soci::into(row);
    if (!sql.got_data())
      return make_error(errc::not_found, "no such file");
    return file_from_row(row);
  };
  co_return co_await run_query(pool_, std::move(job));
}

boost::asio::awaitable<result<model::file>> file_repository::rename(uuid owner, uuid file_id,
                                                                    std::string name) {
  auto job = [owner = owner.to_string(), id = file_id.to_string(),
              name = std::move(name)](soci::session& sql) -> result<model::file> {
    try {
      soci::row row;
      sql << rename_sql, soci::use(name, "name"), soci::use(id, "id"), soci::use(owner, "owner"),
          soci::into(row);
      if (!sql.got_data())
        return make_error(errc::not_found, "no such file");
      return file_from_row(row);
    } catch (const std::exception& e) {
      const auto kind = classify(e);
      if (kind == pg_error_kind::unique_violation &&
          constraint_name(e) == "files_owner_name_live_key")
        return make_error(errc::conflict, "a file with this name exists", "name");
      if (kind == pg_error_kind::constraint_violation && constraint_name(e) == "files_name_check")
        return make_error(errc::validation_failed, "name must be 1 to 255 bytes", "name");
      throw;
    }
  };
  co_return co_await run_query(pool_, std::move(job));
}

boost::asio::awaitable<std::optional<ports::past_due_storage>> file_repository::past_due(uuid owner) {
  auto job = [owner = owner.to_string()](soci::session& sql) { return read_past_due(sql, owner); };
  co_return co_await run_query(pool_, std::move(job));
}

}  // namespace kemas::postgres
