#include "adapters/postgres/repositories/share_repository.hpp"

#include "adapters/postgres/errors.hpp"
#include "adapters/postgres/outbox.hpp"
#include "adapters/postgres/repositories/file_rows.hpp"
#include "adapters/postgres/repositories/rows.hpp"

#include <soci/soci.h>

#include <utility>

namespace kemas::postgres {
namespace {

// Columns of a model::share_link, in the order link_from_row reads them. `s` is a
// share_links row (or a CTE with its columns), `f` its file.
#define KEMAS_SHARE_COLUMNS                                                                   \
  "s.id::text, s.owner_id::text, s.file_id::text, f.name, f.size_bytes, s.note, "             \
  "(s.password_hash IS NOT NULL)::int, s.max_downloads::bigint, s.downloads::bigint, "        \
  "(extract(epoch FROM s.expires_at) * 1000)::bigint, "                                       \
  "(extract(epoch FROM s.created_at) * 1000)::bigint, "                                       \
  "(extract(epoch FROM s.revoked_at) * 1000)::bigint"
constexpr std::size_t share_column_count = 12;

// The plan in force now (user_limits: a paid plan past due counts as free), under the
// owner's row lock: two creations by one owner run one after the other.
constexpr const char* lock_owner_sql =
    "SELECT p.max_share_links FROM users u JOIN user_limits l ON l.user_id = u.id "
    "JOIN plans p ON p.id = l.plan_id WHERE u.id = CAST(:owner AS uuid) FOR NO KEY UPDATE OF u";

// A statement of its own, after the lock: in READ COMMITTED each statement takes a new
// snapshot, so this one sees the links of a creation that committed while we waited (a count
// inside the locking statement would not). It reads at most the plan's limit of live rows
// through share_links_owner_idx.
constexpr const char* live_links_sql =
    "SELECT count(*) FROM share_links WHERE owner_id = CAST(:owner AS uuid) "
    "AND revoked_at IS NULL AND expires_at > now()";

// Inserts only for the owner's active file: someone else's, a deleted or a locked file
// inserts nothing. Times travel as epoch milliseconds.
constexpr const char* insert_share_sql =
    "WITH s AS (INSERT INTO share_links (id, owner_id, file_id, token_hash, note, "
    "password_hash, max_downloads, expires_at) SELECT CAST(:id AS uuid), f.owner_id, f.id, "
    ":hash, :note, :password, "
    "CAST(:max AS integer), timestamptz 'epoch' + CAST(:expires_ms AS bigint) * "
    "interval '1 millisecond' FROM files f WHERE f.id = CAST(:file AS uuid) "
    "AND f.owner_id = CAST(:owner AS uuid) AND f.state = 'active' RETURNING *) "
    "SELECT " KEMAS_SHARE_COLUMNS " FROM s JOIN files f ON f.id = s.file_id";

constexpr const char* file_state_sql =
    "SELECT state FROM files WHERE id = CAST(:file AS uuid) AND owner_id = CAST(:owner AS uuid) "
    "AND state <> 'deleted'";

constexpr const char* list_shares_sql =
    "SELECT " KEMAS_SHARE_COLUMNS " FROM share_links s JOIN files f ON f.id = s.file_id "
    "WHERE s.owner_id = CAST(:owner AS uuid) ORDER BY s.created_at DESC, s.id DESC "
    "LIMIT :row_limit";

// The owner is part of the WHERE: someone else's link id matches nothing.
constexpr const char* revoke_share_sql =
    "WITH s AS (UPDATE share_links SET revoked_at = now() WHERE id = CAST(:id AS uuid) "
    "AND owner_id = CAST(:owner AS uuid) AND revoked_at IS NULL RETURNING *) "
    "SELECT " KEMAS_SHARE_COLUMNS " FROM s JOIN files f ON f.id = s.file_id";

constexpr const char* find_by_token_sql =
    "SELECT " KEMAS_SHARE_COLUMNS ", " KEMAS_FILE_COLUMNS ", s.password_hash, u.disabled::int "
    "FROM share_links s JOIN files f ON f.id = s.file_id JOIN users u ON u.id = s.owner_id "
    "WHERE s.token_hash = :hash";

// The whole rule in one conditional UPDATE: concurrent downloads queue on the row, and each
// re-checks the condition against the row as the previous one left it, so a link with k
// downloads left counts exactly k however many arrive together.
constexpr const char* count_download_sql =
    "WITH s AS (UPDATE share_links SET downloads = downloads + 1 WHERE id = CAST(:id AS uuid) "
    "AND revoked_at IS NULL AND expires_at > now() "
    "AND (max_downloads IS NULL OR downloads < max_downloads) RETURNING *) "
    "SELECT " KEMAS_SHARE_COLUMNS " FROM s JOIN files f ON f.id = s.file_id";

#undef KEMAS_SHARE_COLUMNS

model::share_link link_from_row(const soci::row& row) {
  return {.id = rows::id(row, 0),
          .owner_id = rows::id(row, 1),
          .file_id = rows::id(row, 2),
          .file_name = rows::text(row, 3),
          .file_size = static_cast<std::uint64_t>(rows::int64(row, 4)),
          .note = rows::text(row, 5),
          .has_password = rows::boolean(row, 6),
          .max_downloads = rows::optional_int64(row, 7),
          .downloads = rows::int64(row, 8),
          .expires_at = rows::time(row, 9),
          .created_at = rows::time(row, 10),
          .revoked_at = rows::optional_time(row, 11)};
}

std::optional<error> create_error(const std::exception& e) {
  const auto kind = classify(e);
  const std::string constraint = constraint_name(e);
  if (kind == pg_error_kind::unique_violation && constraint == "share_links_token_hash_key")
    return make_error(errc::conflict, "this token is taken", "token");
  if (kind == pg_error_kind::constraint_violation) {
    if (constraint == "share_links_note_check")
      return make_error(errc::validation_failed, "note must be at most 500 characters", "note");
    if (constraint == "share_links_max_downloads_check")
      return make_error(errc::validation_failed, "max_downloads must be 1 to 1000000",
                        "max_downloads");
    if (constraint == "share_links_expiry_after_creation")
      return make_error(errc::validation_failed, "the expiry must be in the future", "expires_at");
  }
  return std::nullopt;
}

result<model::share_link> insert_share(soci::session& sql, const ports::share_draft& in,
                                       const model::event_draft& event) {
  const std::string owner = in.owner_id.to_string();
  const std::string file = in.file_id.to_string();
  const std::string id = in.id.to_string();
  soci::transaction tx(sql);
  long long limit = 0;
  sql << lock_owner_sql, soci::use(owner, "owner"), soci::into(limit);
  if (!sql.got_data())
    return make_error(errc::not_found, "no such user");
  long long live = 0;
  sql << live_links_sql, soci::use(owner, "owner"), soci::into(live);
  if (live >= limit) {
    return make_error(errc::forbidden,
                      "your plan allows " + std::to_string(limit) +
                          " live share links; revoke one or wait for one to expire",
                      "share_links");
  }
  const std::string password = in.password_hash.value_or("");
  soci::indicator password_ind = in.password_hash ? soci::i_ok : soci::i_null;
  long long max = in.max_downloads.value_or(0);
  soci::indicator max_ind = in.max_downloads ? soci::i_ok : soci::i_null;
  long long expires_ms = rows::epoch_ms(in.expires_at);
  soci::row row;
  sql << insert_share_sql, soci::use(id, "id"), soci::use(in.token_hash, "hash"), soci::use(in.note, "note"),
      soci::use(password, password_ind, "password"), soci::use(max, max_ind, "max"),
      soci::use(expires_ms, "expires_ms"), soci::use(file, "file"), soci::use(owner, "owner"),
      soci::into(row);
  if (!sql.got_data()) {
    std::string state;
    sql << file_state_sql, soci::use(file, "file"), soci::use(owner, "owner"), soci::into(state);
    if (sql.got_data() && state == "locked")
      return make_error(errc::file_locked, "a locked file cannot be shared");
    return make_error(errc::not_found, "no such file");
  }
  model::share_link link = link_from_row(row);
  append_event(sql, rows::with_subject(event, "share", link.id.to_string()));
  tx.commit();
  return link;
}

}  // namespace

boost::asio::awaitable<result<model::share_link>> share_repository::create(
    ports::share_draft draft, model::event_draft event) {
  auto job = [draft = std::move(draft),
              event = std::move(event)](soci::session& sql) -> result<model::share_link> {
    try {
      return insert_share(sql, draft, event);
    } catch (const std::exception& e) {
      if (auto refused = create_error(e))
        return std::move(*refused);
      throw;
    }
  };
  co_return co_await run_query(pool_, std::move(job));
}

boost::asio::awaitable<std::vector<model::share_link>> share_repository::list_for_owner(
    uuid owner_id) {
  auto job = [owner = owner_id.to_string()](soci::session& sql) {
    int row_limit = list_limit;
    std::vector<model::share_link> links;
    soci::rowset<soci::row> found = (sql.prepare << list_shares_sql, soci::use(owner, "owner"),
                                     soci::use(row_limit, "row_limit"));
    for (const auto& row : found)
      links.push_back(link_from_row(row));
    return links;
  };
  co_return co_await run_query(pool_, std::move(job));
}

boost::asio::awaitable<result<model::share_link>> share_repository::revoke(
    uuid owner_id, uuid share_id, model::event_draft event) {
  auto job = [owner = owner_id.to_string(), id = share_id.to_string(),
              event = std::move(event)](soci::session& sql) -> result<model::share_link> {
    soci::transaction tx(sql);
    soci::row row;
    sql << revoke_share_sql, soci::use(id, "id"), soci::use(owner, "owner"), soci::into(row);
    if (!sql.got_data())
      return make_error(errc::not_found, "no such share link");
    model::share_link link = link_from_row(row);
    append_event(sql, rows::with_subject(event, "share", id));
    tx.commit();
    return link;
  };
  co_return co_await run_query(pool_, std::move(job));
}

boost::asio::awaitable<result<ports::share_access>> share_repository::find_by_token(
    std::string token_hash) {
  auto job = [hash = std::move(token_hash)](soci::session& sql) -> result<ports::share_access> {
    soci::row row;
    sql << find_by_token_sql, soci::use(hash, "hash"), soci::into(row);
    if (!sql.got_data())
      return make_error(errc::not_found, "no such share link");
    constexpr std::size_t after_file = share_column_count + rows::file_column_count;
    ports::share_access out{.link = link_from_row(row),
                            .file = rows::file(row, share_column_count),
                            .password_hash = std::nullopt,
                            .owner_disabled = rows::boolean(row, after_file + 1)};
    if (row.get_indicator(after_file) != soci::i_null)
      out.password_hash = rows::text(row, after_file);
    return out;
  };
  co_return co_await run_query(pool_, std::move(job));
}

boost::asio::awaitable<std::optional<model::share_link>> share_repository::count_download(
    uuid share_id, model::event_draft event) {
  auto job = [id = share_id.to_string(),
              event = std::move(event)](soci::session& sql) -> std::optional<model::share_link> {
    soci::transaction tx(sql);
    soci::row row;
    sql << count_download_sql, soci::use(id, "id"), soci::into(row);
    if (!sql.got_data())
      return std::nullopt;
    model::share_link link = link_from_row(row);
    append_event(sql, rows::with_subject(event, "share", id));
    tx.commit();
    return link;
  };
  co_return co_await run_query(pool_, std::move(job));
}

}  // namespace kemas::postgres
