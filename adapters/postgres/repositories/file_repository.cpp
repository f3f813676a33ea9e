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

constexpr const char* list_head_sql =
    "SELECT " KEMAS_FILE_COLUMNS
    " FROM files f WHERE f.owner_id = CAST(:owner AS uuid) AND f.state <> 'deleted' "
    "AND starts_with(f.name, :prefix) ";
// Keyset conditions: strictly after the previous page's last row in the listing order.
constexpr const char* after_created_sql =
    "AND (f.created_at, f.id) < (timestamptz 'epoch' + CAST(:after_us AS bigint) * "
    "interval '1 microsecond', CAST(:after_id AS uuid)) ";
constexpr const char* after_name_sql =
    "AND (f.name COLLATE \"C\", f.id) > (CAST(:after_name AS text) COLLATE \"C\", "
    "CAST(:after_id AS uuid)) ";
constexpr const char* order_created_sql = "ORDER BY f.created_at DESC, f.id DESC LIMIT :row_limit";
constexpr const char* order_name_sql = "ORDER BY f.name COLLATE \"C\", f.id LIMIT :row_limit";

constexpr const char* count_sql =
    "SELECT count(*) FROM files WHERE owner_id = CAST(:owner AS uuid) AND state <> 'deleted'";
constexpr const char* usage_sql =
    "SELECT used_bytes, quota_bytes FROM user_limits WHERE user_id = CAST(:owner AS uuid)";

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

model::file file_from_row(const soci::row& row) {
  return {.id = rows::id(row, 0), .owner_id = rows::id(row, 1), .name = rows::text(row, 2),
          .content_type = rows::text(row, 3),
          .size = static_cast<std::uint64_t>(rows::int64(row, 4)), .sha256 = rows::text(row, 5),
          .object_key = rows::text(row, 6), .state = parse_state(rows::text(row, 7)),
          .created_us = rows::int64(row, 8)};
}

std::vector<model::file> read_page(soci::session& sql, const ports::file_list_query& q) {
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
  st.exchange(soci::use(owner, "owner"));
  st.exchange(soci::use(q.prefix, "prefix"));
  if (q.after && by_name)
    st.exchange(soci::use(after_name, "after_name"));
  if (q.after && !by_name)
    st.exchange(soci::use(after_us, "after_us"));
  if (q.after)
    st.exchange(soci::use(after_id, "after_id"));
  st.exchange(soci::use(row_limit, "row_limit"));
  st.exchange(soci::into(row));
  st.alloc();
  st.prepare(text);
  st.define_and_bind();
  std::vector<model::file> out;
  if (st.execute(true)) {
    do {
      out.push_back(file_from_row(row));
    } while (st.fetch());
  }
  return out;
}

ports::file_list list_in_transaction(soci::session& sql, const ports::file_list_query& q) {
  soci::transaction tx(sql);
  sql << "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY";
  ports::file_list out;
  out.files = read_page(sql, q);
  if (out.files.size() > q.limit) {
    out.files.resize(q.limit);
    out.more = true;
  }
  const std::string owner = q.owner.to_string();
  long long total = 0;
  sql << count_sql, soci::use(owner, "owner"), soci::into(total);
  out.total = total;
  long long used = 0;
  long long quota = 0;
  sql << usage_sql, soci::use(owner, "owner"), soci::into(used), soci::into(quota);
  out.used_bytes = used;
  out.quota_bytes = quota;
  tx.commit();
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
  auto job = [q = std::move(query)](soci::session& sql) { return list_in_transaction(sql, q); };
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
