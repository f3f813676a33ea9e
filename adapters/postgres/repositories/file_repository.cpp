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

// Real-time enforcement of an expired plan (0002_plans_billing.sql, view user_limits). Every
// download asks: prepared, on the api's read pipeline. $1 owner.
const prepared_statement expired_quota{
    "kemas_file_expired_quota",
    "SELECT expired::int, quota_bytes FROM user_limits WHERE user_id = CAST($1 AS uuid)"};
// $1 owner.
const prepared_statement quota_files{
    "kemas_file_quota_files",
    "SELECT id::text, size_bytes, (extract(epoch FROM created_at) * 1000)::bigint, "
    "(state = 'locked')::int FROM files WHERE owner_id = CAST($1 AS uuid) "
    "AND state <> 'deleted'"};

// Read once per upload (the committed file): prepared. $1 id, $2 owner.
const prepared_statement find_statement{
    "kemas_file_find", "SELECT " KEMAS_FILE_COLUMNS
                       " FROM files f WHERE f.id = CAST($1 AS uuid) "
                       "AND f.owner_id = CAST($2 AS uuid) AND f.state <> 'deleted'"};

// $1 name, $2 id, $3 owner.
const prepared_statement rename_statement{
    "kemas_file_rename",
    "UPDATE files AS f SET name = $1 WHERE f.id = CAST($2 AS uuid) "
    "AND f.owner_id = CAST($3 AS uuid) AND f.state <> 'deleted' RETURNING " KEMAS_FILE_COLUMNS};

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

// The account's quota when its plan has run out (user_limits.expired), else nullopt.
std::optional<std::uint64_t> expired_quota_from(const prepared_rows& rows) {
  if (rows.size() == 0 || rows.int64(0, 0) == 0)
    return std::nullopt;
  return static_cast<std::uint64_t>(rows.int64(0, 1));
}

// The files a past-due account keeps, read in one snapshot with the expiry itself.
std::optional<ports::past_due_storage> read_past_due(soci::session& sql, uuid owner) {
  soci::transaction tx(sql);
  sql << "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY";
  // Again inside the snapshot: a worker may have downgraded the account meanwhile (then its
  // locks are in the rows and the state check of the caller is enough).
  const auto quota = expired_quota_from(execute(sql, expired_quota, owner));
  if (!quota) {
    tx.commit();
    return std::nullopt;
  }
  ports::past_due_storage out;
  out.quota_bytes = *quota;
  const prepared_rows files = execute(sql, quota_files, owner);
  out.files.reserve(static_cast<std::size_t>(files.size()));
  for (int row = 0; row < files.size(); ++row) {
    out.files.push_back(quota_file{.id = files.id(row, 0),
                                   .size = static_cast<std::uint64_t>(files.int64(row, 1)),
                                   .created_at = rows::time(files, row, 2),
                                   .locked = files.int64(row, 3) != 0});
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
  auto job = [owner, file_id, name = std::move(name)](soci::session& sql) -> result<model::file> {
    try {
      const prepared_rows rows = execute(sql, rename_statement, name, file_id, owner);
      if (rows.size() == 0)
        return make_error(errc::not_found, "no such file");
      return rows::file(rows, 0);
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
  // The common case (plan in force) costs one prepared statement on the read pipeline, without
  // a transaction or a pool thread.
  statement_parameters parameters{owner.to_string()};
  const auto quota = co_await run_prepared(pool_, reads_, expired_quota, std::move(parameters),
                                           &expired_quota_from);
  if (!quota)
    co_return std::nullopt;
  auto job = [owner](soci::session& sql) { return read_past_due(sql, owner); };
  co_return co_await run_query(pool_, std::move(job));
}

}  // namespace kemas::postgres
