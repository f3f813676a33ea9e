#include "adapters/postgres/repositories/admin_directory.hpp"

#include "adapters/postgres/prepared.hpp"
#include "adapters/postgres/repositories/rows.hpp"

namespace kemas::postgres {
namespace {

// Columns of a user summary, in the order summary_from_row reads them.
#define KEMAS_SUMMARY_COLUMNS                                                               \
  "u.id::text, u.email, u.username, u.role, p.name, "                                       \
  "(extract(epoch FROM u.plan_expires_at) * 1000)::bigint, u.used_bytes, u.disabled::int, " \
  "(extract(epoch FROM u.created_at) * 1000)::bigint, u.file_count, "                       \
  "(extract(epoch FROM u.created_at) * 1000000)::bigint"

// The filtered searches below (users, audit, a user's activity) stay one-time queries on
// purpose, planned with each call's values: a flag per filter ("flag = 0 OR condition")
// leaves a generic prepared plan no index it can rely on for every combination, and admins
// run them rarely. Their rows share summary_from_row / read_audit_page with the user page.
// Each filter: a flag saying whether it applies, and its value (SOCI binds each name once).
constexpr const char* list_users_sql =
    "SELECT " KEMAS_SUMMARY_COLUMNS
    " FROM users u JOIN plans p ON p.id = u.plan_id "
    "WHERE (CAST(:has_q AS int) = 0 OR lower(u.email) LIKE :pattern_email ESCAPE '\\' "
    "       OR lower(u.username) LIKE :pattern_name ESCAPE '\\') "
    "  AND (CAST(:has_role AS int) = 0 OR u.role = :role) "
    "  AND (CAST(:has_plan AS int) = 0 OR p.name = :plan) "
    "  AND (CAST(:disabled AS int) < 0 OR u.disabled = (CAST(:disabled_value AS int) = 1)) "
    "  AND (CAST(:has_after AS int) = 0 OR (u.created_at, u.id) < (timestamptz 'epoch' + "
    "       CAST(:after_us AS bigint) * interval '1 microsecond', CAST(:after_id AS uuid))) "
    "ORDER BY u.created_at DESC, u.id DESC LIMIT :row_limit";

constexpr const char* user_sql =
    "SELECT " KEMAS_SUMMARY_COLUMNS
    ", l.quota_bytes, l.plan_name, "
    "(SELECT (extract(epoch FROM max(a.occurred_at)) * 1000)::bigint FROM audit_log a "
    "  WHERE a.target_type = 'user' AND a.target_id = u.id::text AND a.action = 'auth.login') "
    "FROM users u JOIN plans p ON p.id = u.plan_id JOIN user_limits l ON l.user_id = u.id "
    "WHERE u.id = CAST(:id AS uuid)";

#define KEMAS_AUDIT_COLUMNS                                                                \
  "a.chain_seq, a.event_id::text, (extract(epoch FROM a.occurred_at) * 1000)::bigint, "    \
  "coalesce(a.actor_id::text, ''), coalesce(host(a.actor_ip), ''), a.action, "             \
  "coalesce(a.target_type, ''), coalesce(a.target_id, ''), coalesce(a.before::text, ''), " \
  "coalesce(a.after::text, ''), coalesce(a.request_id, '')"

constexpr const char* audit_sql =
    "SELECT " KEMAS_AUDIT_COLUMNS
    " FROM audit_log a "
    "WHERE (CAST(:has_actor AS int) = 0 OR a.actor_id = CAST(:actor AS uuid)) "
    "  AND (CAST(:has_action AS int) = 0 OR a.action = :action) "
    "  AND (CAST(:has_type AS int) = 0 OR a.target_type = :target_type) "
    "  AND (CAST(:has_target AS int) = 0 OR a.target_id = :target_id) "
    "  AND (CAST(:has_request AS int) = 0 OR a.request_id = :request_id) "
    "  AND (CAST(:has_from AS int) = 0 OR a.occurred_at >= timestamptz 'epoch' + "
    "       CAST(:from_ms AS bigint) * interval '1 millisecond') "
    "  AND (CAST(:has_to AS int) = 0 OR a.occurred_at < timestamptz 'epoch' + "
    "       CAST(:to_ms AS bigint) * interval '1 millisecond') "
    "  AND (CAST(:has_before AS int) = 0 OR a.chain_seq < CAST(:before_seq AS bigint)) "
    "ORDER BY a.chain_seq DESC LIMIT :row_limit";

// The user's account is the subject (target), or they acted on one of their API keys. Walks
// audit_log_target_idx and audit_log_actor_occurred_idx, not the whole trail.
constexpr const char* activity_sql =
    "SELECT " KEMAS_AUDIT_COLUMNS
    " FROM audit_log a "
    "WHERE ((a.target_type = 'user' AND a.target_id = :target "
    "        AND a.action IN ('auth.login', 'auth.login_failed', 'auth.lockout', 'auth.logout', "
    "                         'auth.password_changed', 'auth.password_reset_requested', "
    "                         'auth.password_reset', 'user.role_changed', 'user.disabled', "
    "                         'user.enabled', 'apikey.revoked')) "
    "    OR (a.actor_id = CAST(:actor AS uuid) AND a.target_type = 'api_key' "
    "        AND a.action IN ('apikey.created', 'apikey.revoked'))) "
    "  AND (CAST(:has_before AS int) = 0 OR a.chain_seq < CAST(:before_seq AS bigint)) "
    "ORDER BY a.chain_seq DESC LIMIT :row_limit";

#undef KEMAS_SUMMARY_COLUMNS
#undef KEMAS_AUDIT_COLUMNS

// The usage page's four reads and the download counter's flush, fixed statements: prepared
// (prepared.hpp), planned once per connection.
const prepared_statement totals_statement{
    "kemas_admin_totals",
    "SELECT count(*), coalesce(sum(used_bytes), 0)::bigint, coalesce(sum(file_count), 0)::bigint "
    "FROM users"};
const prepared_statement by_plan_role_statement{
    "kemas_admin_by_plan_role",
    "SELECT p.name, u.role, count(*), count(*) FILTER (WHERE u.disabled) "
    "FROM users u JOIN plans p ON p.id = u.plan_id GROUP BY p.name, u.role ORDER BY 1, 2"};
// Every day of the range ($1 days), oldest first, zeros where nothing happened.
const prepared_statement days_statement{
    "kemas_admin_days",
    "WITH bounds AS (SELECT (now() AT TIME ZONE 'UTC')::date AS today), "
    "days AS (SELECT generate_series(b.today - (CAST($1 AS int) - 1), b.today, "
    "                                interval '1 day')::date AS day FROM bounds b), "
    "audited AS ("
    "  SELECT (a.occurred_at AT TIME ZONE 'UTC')::date AS day, "
    "         count(*) FILTER (WHERE a.action = 'file.uploaded') AS uploads, "
    "         coalesce(sum(CASE WHEN jsonb_typeof(a.after -> 'size') = 'number' "
    "                      THEN (a.after ->> 'size')::bigint END) "
    "                  FILTER (WHERE a.action = 'file.uploaded'), 0)::bigint AS upload_bytes, "
    "         count(DISTINCT a.actor_id) AS active "
    "  FROM audit_log a, bounds b "
    "  WHERE a.occurred_at >= (b.today - (CAST($1 AS int) - 1)) AT TIME ZONE 'UTC' "
    "  GROUP BY 1) "
    "SELECT to_char(d.day, 'YYYY-MM-DD'), coalesce(x.uploads, 0)::bigint, "
    "       coalesce(x.upload_bytes, 0)::bigint, coalesce(u.downloads, 0)::bigint, "
    "       coalesce(u.download_bytes, 0)::bigint, coalesce(x.active, 0)::bigint "
    "FROM days d LEFT JOIN audited x ON x.day = d.day LEFT JOIN usage_daily u ON u.day = d.day "
    "ORDER BY d.day"};
// $1 rows.
const prepared_statement top_users_statement{
    "kemas_admin_top_users",
    "SELECT id::text, email, username, used_bytes, file_count FROM users "
    "ORDER BY used_bytes DESC, id LIMIT CAST($1 AS bigint)"};
// $1 downloads, $2 bytes.
const prepared_statement add_downloads_statement{
    "kemas_admin_add_downloads",
    "INSERT INTO usage_daily (day, downloads, download_bytes) "
    "VALUES ((now() AT TIME ZONE 'UTC')::date, CAST($1 AS bigint), CAST($2 AS bigint)) "
    "ON CONFLICT (day) DO UPDATE SET downloads = usage_daily.downloads + EXCLUDED.downloads, "
    "download_bytes = usage_daily.download_bytes + EXCLUDED.download_bytes"};
// $1 command.
const prepared_statement command_processed_statement{
    "kemas_admin_command_processed",
    "SELECT EXISTS (SELECT 1 FROM processed_commands WHERE command_id = CAST($1 AS uuid))::int"};

constexpr const char* nil_uuid = "00000000-0000-0000-0000-000000000000";

ports::user_summary summary_from_row(const soci::row& row) {
  ports::user_summary s;
  s.user = model::user{.id = rows::id(row, 0),
                       .email = rows::text(row, 1),
                       .username = rows::text(row, 2),
                       .password_hash = {},
                       .role = rows::role(row, 3),
                       .plan = rows::text(row, 4),
                       .plan_expires_at = rows::optional_time(row, 5),
                       .used_bytes = rows::int64(row, 6),
                       .disabled = rows::boolean(row, 7),
                       .created_at = rows::time(row, 8)};
  s.file_count = rows::int64(row, 9);
  s.created_us = rows::int64(row, 10);
  return s;
}

// "%<text with % _ \ escaped>%", lower-cased as the compared columns are.
std::string substring_pattern(const std::string& text) {
  std::string out = "%";
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\')
      out += '\\';
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out + "%";
}

int flag(bool b) {
  return b ? 1 : 0;
}

// Runs `st` (into `row`: KEMAS_AUDIT_COLUMNS, at most rows + 1 of them) into a page.
ports::audit_page read_audit_page(soci::statement& st, soci::row& row, unsigned rows) {
  ports::audit_page page;
  if (st.execute(true)) {
    do {
      ports::audit_entry e;
      e.seq = rows::int64(row, 0);
      e.event_id = rows::text(row, 1);
      e.occurred_at = rows::time(row, 2);
      const std::string actor_text = rows::text(row, 3);
      if (!actor_text.empty())
        e.actor = uuid::parse(actor_text);
      e.actor_ip = rows::text(row, 4);
      e.action = rows::text(row, 5);
      e.target_type = rows::text(row, 6);
      e.target_id = rows::text(row, 7);
      e.before_json = rows::text(row, 8);
      e.after_json = rows::text(row, 9);
      e.request_id = rows::text(row, 10);
      page.entries.push_back(std::move(e));
    } while (st.fetch());
  }
  if (page.entries.size() > rows) {
    page.entries.resize(rows);
    page.more = true;
  }
  return page;
}

}  // namespace

boost::asio::awaitable<ports::user_page> admin_directory::list_users(
    ports::user_filter filter, std::optional<ports::user_position> after, unsigned rows) {
  auto job = [filter = std::move(filter), after, rows](soci::session& sql) {
    const int has_q = flag(!filter.query.empty());
    const std::string pattern = substring_pattern(filter.query);
    const int has_role = flag(filter.role.has_value());
    const std::string role(filter.role ? role_name(*filter.role) : "");
    const int has_plan = flag(!filter.plan.empty());
    const int disabled = filter.disabled ? 1 : -1;
    const int disabled_value = filter.disabled.value_or(false) ? 1 : 0;
    const int has_after = flag(after.has_value());
    const long long after_us = after ? after->created_us : 0;
    const std::string after_id = after ? after->id.to_string() : nil_uuid;
    const int row_limit = static_cast<int>(rows) + 1;  // one more tells whether a page follows
    soci::row row;
    soci::statement st =
        (sql.prepare << list_users_sql, soci::use(has_q, "has_q"),
         soci::use(pattern, "pattern_email"), soci::use(pattern, "pattern_name"),
         soci::use(has_role, "has_role"), soci::use(role, "role"), soci::use(has_plan, "has_plan"),
         soci::use(filter.plan, "plan"), soci::use(disabled, "disabled"),
         soci::use(disabled_value, "disabled_value"), soci::use(has_after, "has_after"),
         soci::use(after_us, "after_us"), soci::use(after_id, "after_id"),
         soci::use(row_limit, "row_limit"), soci::into(row));
    ports::user_page page;
    if (st.execute(true)) {
      do {
        page.users.push_back(summary_from_row(row));
      } while (st.fetch());
    }
    if (page.users.size() > rows) {
      page.users.resize(rows);
      page.more = true;
    }
    return page;
  };
  co_return co_await run_query(pool_, std::move(job));
}

boost::asio::awaitable<std::optional<ports::user_details>> admin_directory::user(uuid id) {
  auto job = [key = id.to_string()](soci::session& sql) -> std::optional<ports::user_details> {
    soci::row row;
    sql << user_sql, soci::use(key, "id"), soci::into(row);
    if (!sql.got_data())
      return std::nullopt;
    ports::user_details d;
    d.summary = summary_from_row(row);
    d.quota_bytes = rows::int64(row, 11);
    d.effective_plan = rows::text(row, 12);
    d.last_login = rows::optional_time(row, 13);
    return d;
  };
  co_return co_await run_query(pool_, std::move(job));
}

boost::asio::awaitable<ports::audit_page> admin_directory::audit(
    ports::audit_filter filter, std::optional<std::int64_t> before_seq, unsigned rows) {
  auto job = [filter = std::move(filter), before_seq, rows](soci::session& sql) {
    const int has_actor = flag(filter.actor.has_value());
    const std::string actor = filter.actor ? filter.actor->to_string() : nil_uuid;
    const int has_action = flag(!filter.action.empty());
    const int has_type = flag(!filter.target_type.empty());
    const int has_target = flag(!filter.target_id.empty());
    const int has_request = flag(!filter.request_id.empty());
    const int has_from = flag(filter.from.has_value());
    const long long from_ms = filter.from ? rows::epoch_ms(*filter.from) : 0;
    const int has_to = flag(filter.to.has_value());
    const long long to_ms = filter.to ? rows::epoch_ms(*filter.to) : 0;
    const int has_before = flag(before_seq.has_value());
    const long long before = before_seq.value_or(0);
    const int row_limit = static_cast<int>(rows) + 1;
    soci::row row;
    soci::statement st =
        (sql.prepare << audit_sql, soci::use(has_actor, "has_actor"), soci::use(actor, "actor"),
         soci::use(has_action, "has_action"), soci::use(filter.action, "action"),
         soci::use(has_type, "has_type"), soci::use(filter.target_type, "target_type"),
         soci::use(has_target, "has_target"), soci::use(filter.target_id, "target_id"),
         soci::use(has_request, "has_request"), soci::use(filter.request_id, "request_id"),
         soci::use(has_from, "has_from"), soci::use(from_ms, "from_ms"),
         soci::use(has_to, "has_to"), soci::use(to_ms, "to_ms"),
         soci::use(has_before, "has_before"), soci::use(before, "before_seq"),
         soci::use(row_limit, "row_limit"), soci::into(row));
    return read_audit_page(st, row, rows);
  };
  co_return co_await run_query(pool_, std::move(job));
}

boost::asio::awaitable<ports::usage_stats> admin_directory::usage(unsigned days, unsigned top) {
  auto job = [days, top](soci::session& sql) {
    ports::usage_stats out;
    const prepared_rows totals = execute(sql, totals_statement);
    out.accounts = totals.int64(0, 0);
    out.bytes_stored = totals.int64(0, 1);
    out.files = totals.int64(0, 2);
    const prepared_rows groups = execute(sql, by_plan_role_statement);
    for (int row = 0; row < groups.size(); ++row)
      out.by_plan_and_role.push_back({groups.text(row, 0), groups.text(row, 1),
                                      groups.int64(row, 2), groups.int64(row, 3)});
    const prepared_rows per_day = execute(sql, days_statement, days);
    for (int row = 0; row < per_day.size(); ++row)
      out.days.push_back({per_day.text(row, 0), per_day.int64(row, 1), per_day.int64(row, 2),
                          per_day.int64(row, 3), per_day.int64(row, 4), per_day.int64(row, 5)});
    const prepared_rows heaviest = execute(sql, top_users_statement, top);
    for (int row = 0; row < heaviest.size(); ++row)
      out.top_users.push_back({heaviest.id(row, 0), heaviest.text(row, 1), heaviest.text(row, 2),
                               heaviest.int64(row, 3), heaviest.int64(row, 4)});
    return out;
  };
  co_return co_await run_query(pool_, std::move(job));
}

void add_downloads(soci::session& sql, std::uint64_t downloads, std::uint64_t bytes) {
  execute(sql, add_downloads_statement, downloads, bytes);
}

boost::asio::awaitable<bool> admin_directory::command_processed(std::string command_id) {
  auto job = [id = std::move(command_id)](soci::session& sql) {
    return execute(sql, command_processed_statement, id).int64(0, 0) != 0;
  };
  co_return co_await run_query(pool_, std::move(job));
}

boost::asio::awaitable<ports::audit_page> admin_directory::security_activity(
    uuid user, std::optional<std::int64_t> before_seq, unsigned rows) {
  auto job = [key = user.to_string(), before_seq, rows](soci::session& sql) {
    const int has_before = flag(before_seq.has_value());
    const long long before = before_seq.value_or(0);
    const int row_limit = static_cast<int>(rows) + 1;
    soci::row row;
    soci::statement st =
        (sql.prepare << activity_sql, soci::use(key, "target"), soci::use(key, "actor"),
         soci::use(has_before, "has_before"), soci::use(before, "before_seq"),
         soci::use(row_limit, "row_limit"), soci::into(row));
    return read_audit_page(st, row, rows);
  };
  co_return co_await run_query(pool_, std::move(job));
}

}  // namespace kemas::postgres
