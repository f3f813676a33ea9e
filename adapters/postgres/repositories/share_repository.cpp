#include "adapters/postgres/repositories/share_repository.hpp"

#include "adapters/postgres/errors.hpp"
#include "adapters/postgres/outbox.hpp"
#include "adapters/postgres/repositories/file_rows.hpp"
#include "adapters/postgres/repositories/prepared_query.hpp"
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

// Every statement here is prepared (prepared.hpp); the public route's lookup also runs on
// the api's pipeline when it has one (prepared_query.hpp).

// The plan in force now (user_limits: a paid plan past due counts as free), under the
// owner's row lock: two creations by one owner run one after the other. $1 owner.
const prepared_statement lock_owner{
    "kemas_share_lock_owner",
    "SELECT p.max_share_links FROM users u JOIN user_limits l ON l.user_id = u.id "
    "JOIN plans p ON p.id = l.plan_id WHERE u.id = CAST($1 AS uuid) FOR NO KEY UPDATE OF u"};

// A statement of its own, after the lock: in READ COMMITTED each statement takes a new
// snapshot, so this one sees the links of a creation that committed while we waited (a count
// inside the locking statement would not). It reads at most the plan's limit of live rows
// through share_links_owner_idx. $1 owner.
const prepared_statement live_links{
    "kemas_share_live_links",
    "SELECT count(*) FROM share_links WHERE owner_id = CAST($1 AS uuid) "
    "AND revoked_at IS NULL AND expires_at > now()"};

// Inserts only for the owner's active file: someone else's, a deleted or a locked file
// inserts nothing. Times travel as epoch milliseconds. $1 id, $2 owner, $3 file, $4 token
// hash, $5 note, $6 password hash or NULL, $7 maximum downloads or NULL, $8 expiry (ms).
const prepared_statement insert_share_statement{
    "kemas_share_insert",
    "WITH s AS (INSERT INTO share_links (id, owner_id, file_id, token_hash, note, "
    "password_hash, max_downloads, expires_at) SELECT CAST($1 AS uuid), f.owner_id, f.id, "
    "CAST($4 AS text), CAST($5 AS text), CAST($6 AS text), "
    "CAST($7 AS integer), timestamptz 'epoch' + CAST($8 AS bigint) * "
    "interval '1 millisecond' FROM files f WHERE f.id = CAST($3 AS uuid) "
    "AND f.owner_id = CAST($2 AS uuid) AND f.state = 'active' RETURNING *) "
    "SELECT " KEMAS_SHARE_COLUMNS " FROM s JOIN files f ON f.id = s.file_id"};

// $1 file, $2 owner.
const prepared_statement file_state{
    "kemas_share_file_state",
    "SELECT state FROM files WHERE id = CAST($1 AS uuid) AND owner_id = CAST($2 AS uuid) "
    "AND state <> 'deleted'"};

// $1 owner, $2 rows.
const prepared_statement list_shares{
    "kemas_share_list",
    "SELECT " KEMAS_SHARE_COLUMNS " FROM share_links s JOIN files f ON f.id = s.file_id "
    "WHERE s.owner_id = CAST($1 AS uuid) ORDER BY s.created_at DESC, s.id DESC LIMIT $2"};

// The owner is part of the WHERE: someone else's link id matches nothing. $1 link, $2 owner.
const prepared_statement revoke_share{
    "kemas_share_revoke",
    "WITH s AS (UPDATE share_links SET revoked_at = now() WHERE id = CAST($1 AS uuid) "
    "AND owner_id = CAST($2 AS uuid) AND revoked_at IS NULL RETURNING *) "
    "SELECT " KEMAS_SHARE_COLUMNS " FROM s JOIN files f ON f.id = s.file_id"};

// $1 token hash.
const prepared_statement find_by_token_statement{
    "kemas_share_find_by_token",
    "SELECT " KEMAS_SHARE_COLUMNS ", " KEMAS_FILE_COLUMNS ", s.password_hash, u.disabled::int "
    "FROM share_links s JOIN files f ON f.id = s.file_id JOIN users u ON u.id = s.owner_id "
    "WHERE s.token_hash = $1"};

// The whole rule in one conditional UPDATE: concurrent downloads queue on the row, and each
// re-checks the condition against the row as the previous one left it, so a link with k
// downloads left counts exactly k however many arrive together. $1 link.
const prepared_statement count_download_statement{
    "kemas_share_count_download",
    "WITH s AS (UPDATE share_links SET downloads = downloads + 1 WHERE id = CAST($1 AS uuid) "
    "AND revoked_at IS NULL AND expires_at > now() "
    "AND (max_downloads IS NULL OR downloads < max_downloads) RETURNING *) "
    "SELECT " KEMAS_SHARE_COLUMNS " FROM s JOIN files f ON f.id = s.file_id"};

#undef KEMAS_SHARE_COLUMNS

model::share_link link_from_row(const prepared_rows& rows, int row) {
  return {.id = rows.id(row, 0),
          .owner_id = rows.id(row, 1),
          .file_id = rows.id(row, 2),
          .file_name = rows.text(row, 3),
          .file_size = static_cast<std::uint64_t>(rows.int64(row, 4)),
          .note = rows.text(row, 5),
          .has_password = rows.int64(row, 6) != 0,
          .max_downloads = rows::optional_int64(rows, row, 7),
          .downloads = rows.int64(row, 8),
          .expires_at = rows::time(rows, row, 9),
          .created_at = rows::time(rows, row, 10),
          .revoked_at = rows::optional_time(rows, row, 11)};
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
  soci::transaction tx(sql);
  const prepared_rows plan = execute(sql, lock_owner, in.owner_id);
  if (plan.size() == 0)
    return make_error(errc::not_found, "no such user");
  const long long limit = plan.int64(0, 0);
  if (execute(sql, live_links, in.owner_id).int64(0, 0) >= limit) {
    return make_error(errc::forbidden,
                      "your plan allows " + std::to_string(limit) +
                          " live share links; revoke one or wait for one to expire",
                      "share_links");
  }
  const prepared_rows inserted =
      execute(sql, insert_share_statement, in.id, in.owner_id, in.file_id, in.token_hash, in.note,
              in.password_hash, in.max_downloads, rows::epoch_ms(in.expires_at));
  if (inserted.size() == 0) {
    const prepared_rows state = execute(sql, file_state, in.file_id, in.owner_id);
    if (state.size() > 0 && state.text(0, 0) == "locked")
      return make_error(errc::file_locked, "a locked file cannot be shared");
    return make_error(errc::not_found, "no such file");
  }
  model::share_link link = link_from_row(inserted, 0);
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
  auto job = [owner_id](soci::session& sql) {
    const prepared_rows found = execute(sql, list_shares, owner_id, list_limit);
    std::vector<model::share_link> links;
    links.reserve(static_cast<std::size_t>(found.size()));
    for (int row = 0; row < found.size(); ++row)
      links.push_back(link_from_row(found, row));
    return links;
  };
  co_return co_await run_query(pool_, std::move(job));
}

boost::asio::awaitable<result<model::share_link>> share_repository::revoke(
    uuid owner_id, uuid share_id, model::event_draft event) {
  auto job = [owner = owner_id.to_string(), id = share_id.to_string(),
              event = std::move(event)](soci::session& sql) -> result<model::share_link> {
    soci::transaction tx(sql);
    const prepared_rows revoked = execute(sql, revoke_share, id, owner);
    if (revoked.size() == 0)
      return make_error(errc::not_found, "no such share link");
    model::share_link link = link_from_row(revoked, 0);
    append_event(sql, rows::with_subject(event, "share", id));
    tx.commit();
    return link;
  };
  co_return co_await run_query(pool_, std::move(job));
}

boost::asio::awaitable<result<ports::share_access>> share_repository::find_by_token(
    std::string token_hash) {
  // Named, not temporaries inside the co_await: GCC 12 (asio#1007).
  statement_parameters parameters{std::move(token_hash)};
  auto from_rows = [](const prepared_rows& found) -> result<ports::share_access> {
    if (found.size() == 0)
      return make_error(errc::not_found, "no such share link");
    constexpr int first_file = static_cast<int>(share_column_count);
    constexpr int after_file = first_file + static_cast<int>(rows::file_column_count);
    ports::share_access out{.link = link_from_row(found, 0),
                            .file = rows::file(found, 0, first_file),
                            .password_hash = std::nullopt,
                            .owner_disabled = found.int64(0, after_file + 1) != 0};
    if (!found.is_null(0, after_file))
      out.password_hash = found.text(0, after_file);
    return out;
  };
  co_return co_await run_prepared(pool_, reads_, find_by_token_statement, std::move(parameters),
                                  std::move(from_rows));
}

boost::asio::awaitable<std::optional<model::share_link>> share_repository::count_download(
    uuid share_id, model::event_draft event) {
  auto job = [id = share_id.to_string(),
              event = std::move(event)](soci::session& sql) -> std::optional<model::share_link> {
    soci::transaction tx(sql);
    const prepared_rows counted = execute(sql, count_download_statement, id);
    if (counted.size() == 0)
      return std::nullopt;
    model::share_link link = link_from_row(counted, 0);
    append_event(sql, rows::with_subject(event, "share", id));
    tx.commit();
    return link;
  };
  co_return co_await run_query(pool_, std::move(job));
}

}  // namespace kemas::postgres
