#include "adapters/postgres/repositories/file_repository.hpp"

#include "adapters/postgres/errors.hpp"
#include "adapters/postgres/repositories/file_rows.hpp"
#include "adapters/postgres/repositories/prepared_query.hpp"
#include "adapters/postgres/repositories/rows.hpp"

#include <soci/soci.h>

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace kemas::postgres {
namespace {

// The list is one statement: the owner's totals (user_limits: counters kept by the upload
// and delete transactions) joined with one page of files walked along an index
// (files_owner_created_idx or files_owner_name_c_idx) from the cursor on. One statement is one
// snapshot, so the page and the totals agree without a transaction. An owner without files
// yields one row whose file columns are NULL. Parameters: $1 owner, $2 rows, $3 name prefix
// (prefixed shapes only), and after a cursor the next two: its created_at in µs (or its name)
// and its id.
// Without a prefix the statement has no prefix condition at all, rather than one that matches
// everything: PostgreSQL cannot estimate starts_with() on a parameter. The generic plan a
// connection settled on then expected two rows and, on a small files table, read all of it and
// sorted it (0.27 ms a call against 0.05 ms for the index walk, measured); in a session where
// that plan looked too costly it planned every call anew instead (0.26 ms of planning each).
// A listed file carries what the API shows of it: not its owner (the caller) and not its
// object key (internal), which were a third of the bytes each row costs to render and parse.
constexpr const char* list_head_sql =
    "SELECT l.file_count, l.used_bytes, l.quota_bytes, f.id::text, f.name, f.content_type, "
    "f.size_bytes, f.sha256, f.state, (extract(epoch FROM f.created_at) * 1000000)::bigint"
    " FROM user_limits l LEFT JOIN LATERAL (SELECT x.* FROM files x "
    "WHERE x.owner_id = l.user_id AND x.state <> 'deleted' ";
constexpr const char* prefix_sql = "AND starts_with(x.name, $3) ";
constexpr const char* order_created_sql =
    "ORDER BY x.created_at DESC, x.id DESC LIMIT $2) f ON true "
    "WHERE l.user_id = CAST($1 AS uuid) ORDER BY f.created_at DESC, f.id DESC";
constexpr const char* order_name_sql =
    "ORDER BY x.name COLLATE \"C\", x.id LIMIT $2) f ON true "
    "WHERE l.user_id = CAST($1 AS uuid) ORDER BY f.name COLLATE \"C\", f.id";

// Keyset condition: strictly after the previous page's last row in the listing order. The
// cursor is two parameters from `first` on: its created_at in µs (or its name), then its id.
std::string after_cursor_sql(bool by_name, int first) {
  const std::string at = "$" + std::to_string(first);
  const std::string id = "$" + std::to_string(first + 1);
  if (by_name)
    return "AND (x.name COLLATE \"C\", x.id) > (CAST(" + at + " AS text) COLLATE \"C\", CAST(" +
           id + " AS uuid)) ";
  return "AND (x.created_at, x.id) < (timestamptz 'epoch' + CAST(" + at +
         " AS bigint) * interval '1 microsecond', CAST(" + id + " AS uuid)) ";
}

// Real-time enforcement of an expired plan (0002_plans_billing.sql, view user_limits).
constexpr const char* expired_quota_sql =
    "SELECT expired::int, quota_bytes FROM user_limits WHERE user_id = CAST(:owner AS uuid)";
constexpr const char* quota_files_sql =
    "SELECT id::text, size_bytes, (extract(epoch FROM created_at) * 1000)::bigint, "
    "(state = 'locked')::int FROM files WHERE owner_id = CAST(:owner AS uuid) "
    "AND state <> 'deleted'";

// Read once per upload (the committed file): prepared. $1 id, $2 owner.
const prepared_statement find_statement{
    "kemas_file_find", "SELECT " KEMAS_FILE_COLUMNS
                       " FROM files f WHERE f.id = CAST($1 AS uuid) "
                       "AND f.owner_id = CAST($2 AS uuid) AND f.state <> 'deleted'"};

constexpr const char* rename_sql =
    "UPDATE files AS f SET name = :name WHERE f.id = CAST(:id AS uuid) "
    "AND f.owner_id = CAST(:owner AS uuid) AND f.state <> 'deleted' RETURNING " KEMAS_FILE_COLUMNS;

// A list row's file, its columns from `first` on (the totals come before them); its owner is
// the one asked for and its object key stays empty (list_head_sql).
model::file file_from_list_row(const prepared_rows& rows, int row, int first, const uuid& owner) {
  return {.id = rows.id(row, first), .owner_id = owner, .name = rows.text(row, first + 1),
          .content_type = rows.text(row, first + 2),
          .size = static_cast<std::uint64_t>(rows.int64(row, first + 3)),
          .sha256 = rows.text(row, first + 4), .object_key = {},
          .state = rows::file_state(rows.text(row, first + 5)),
          .created_us = rows.int64(row, first + 6)};
}

// The list's eight shapes (by date or by name, with or without a prefix, first page or after
// a cursor), each prepared once per connection.
prepared_statement list_statement(bool by_name, bool prefixed, bool after) {
  std::string text = list_head_sql;
  if (prefixed)
    text += prefix_sql;
  if (after)
    text += after_cursor_sql(by_name, prefixed ? 4 : 3);
  text += by_name ? order_name_sql : order_created_sql;
  return {std::string("kemas_file_list_") + (by_name ? "name" : "created") +
              (prefixed ? "_prefixed" : "") + (after ? "_after" : ""),
          std::move(text)};
}

// The statement and parameters of one list page.
struct list_call {
  const prepared_statement& statement;
  std::vector<std::optional<std::string>> parameters;
};

list_call list_call_for(const ports::file_list_query& q) {
  const bool by_name = q.sort == ports::file_sort::name_asc;
  const bool prefixed = !q.prefix.empty();
  const bool after = q.after.has_value();
  static const prepared_statement statements[2][2][2] = {
      {{list_statement(false, false, false), list_statement(false, false, true)},
       {list_statement(false, true, false), list_statement(false, true, true)}},
      {{list_statement(true, false, false), list_statement(true, false, true)},
       {list_statement(true, true, false), list_statement(true, true, true)}}};

  // One row more than asked tells whether another page follows.
  std::vector<std::optional<std::string>> parameters{q.owner.to_string(),
                                                     std::to_string(q.limit + 1)};
  if (prefixed)
    parameters.emplace_back(q.prefix);
  if (after) {
    parameters.emplace_back(by_name ? q.after->name : std::to_string(q.after->created_us));
    parameters.emplace_back(q.after->id.to_string());
  }
  return {statements[by_name][prefixed][after], std::move(parameters)};
}

ports::file_list list_from_rows(const prepared_rows& rows, const ports::file_list_query& q) {
  ports::file_list out;
  constexpr int first_file_column = 3;
  if (rows.size() > 0) {
    out.total = rows.int64(0, 0);
    out.used_bytes = rows.int64(0, 1);
    out.quota_bytes = rows.int64(0, 2);
  }
  for (int row = 0; row < rows.size(); ++row) {
    if (!rows.is_null(row, first_file_column))
      out.files.push_back(file_from_list_row(rows, row, first_file_column, q.owner));
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
  auto call = list_call_for(query);
  auto from_rows = [q = std::move(query)](const prepared_rows& rows) {
    return list_from_rows(rows, q);
  };
  co_return co_await run_prepared(pool_, reads_, call.statement, std::move(call.parameters),
                                  std::move(from_rows));
}

boost::asio::awaitable<result<model::file>> file_repository::find(uuid owner, uuid file_id) {
  // Named, not temporaries inside the co_await: GCC 12 (asio#1007).
  statement_parameters parameters{file_id.to_string(), owner.to_string()};
  auto from_rows = [](const prepared_rows& rows) -> result<model::file> {
    if (rows.size() == 0)
      return make_error(errc::not_found, "no such file");
    return rows::file(rows, 0);
  };
  co_return co_await run_prepared(pool_, reads_, find_statement, std::move(parameters),
                                  std::move(from_rows));
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
      return rows::file(row);
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
