#include "adapters/postgres/repositories/mail_store.hpp"

#include "adapters/postgres/prepared.hpp"
#include "adapters/postgres/repositories/rows.hpp"

#include <soci/soci.h>

namespace kemas::postgres {
namespace {

// The mailer runs these for every event it mails: prepared (prepared.hpp), planned once per
// connection. $1 user.
const prepared_statement recipient_statement{
    "kemas_mail_recipient",
    "SELECT u.email, u.username, u.role, u.disabled::int, p.name, "
    "(extract(epoch FROM u.plan_expires_at) * 1000)::bigint "
    "FROM users u JOIN plans p ON p.id = u.plan_id WHERE u.id = CAST($1 AS uuid)"};
// $1 event, $2 kind.
const prepared_statement sent_statement{
    "kemas_mail_sent",
    "SELECT EXISTS (SELECT 1 FROM mail_deliveries WHERE event_id = CAST($1 AS uuid) "
    "AND kind = $2)::int"};
// $1 event, $2 kind, $3 user.
const prepared_statement record_statement{
    "kemas_mail_record",
    "INSERT INTO mail_deliveries (event_id, kind, user_id) "
    "VALUES (CAST($1 AS uuid), $2, CAST($3 AS uuid)) ON CONFLICT DO NOTHING"};
// Insert-or-keep, then read back who first saw it and whether other addresses exist.
// $1 user, $2 ip, $3 event.
const prepared_statement note_address_statement{
    "kemas_mail_note_address",
    "INSERT INTO login_addresses (user_id, ip, first_event_id) "
    "VALUES (CAST($1 AS uuid), CAST($2 AS inet), CAST($3 AS uuid)) "
    "ON CONFLICT (user_id, ip) DO UPDATE SET last_seen_at = now()"};
const prepared_statement address_news_statement{
    "kemas_mail_address_news",
    "SELECT (a.first_event_id = CAST($3 AS uuid))::int, "
    "(SELECT count(*) FROM login_addresses o WHERE o.user_id = a.user_id AND o.ip <> a.ip "
    "   AND o.first_seen_at <= a.first_seen_at) "
    "FROM login_addresses a WHERE a.user_id = CAST($1 AS uuid) AND a.ip = CAST($2 AS inet)"};

}  // namespace

std::optional<mail_recipient> find_recipient(soci::session& sql, const uuid& user_id) {
  const prepared_rows rows = execute(sql, recipient_statement, user_id);
  if (rows.size() == 0)
    return std::nullopt;
  mail_recipient r;
  r.email = rows.text(0, 0);
  r.username = rows.text(0, 1);
  r.role = rows.text(0, 2);
  r.disabled = rows.int64(0, 3) != 0;
  r.plan = rows.text(0, 4);
  if (const auto expires = rows::optional_int64(rows, 0, 5))
    r.plan_expires_at_ms = *expires;
  return r;
}

bool already_sent(soci::session& sql, const uuid& event_id, std::string_view kind) {
  return execute(sql, sent_statement, event_id, kind).int64(0, 0) != 0;
}

void record_sent(soci::session& sql, const uuid& event_id, std::string_view kind,
                 const uuid& user_id) {
  execute(sql, record_statement, event_id, kind, user_id);
}

bool note_login_address(soci::session& sql, const uuid& user_id, const std::string& ip,
                        const uuid& event_id) {
  execute(sql, note_address_statement, user_id, ip, event_id);
  const prepared_rows news = execute(sql, address_news_statement, user_id, ip, event_id);
  return news.size() > 0 && news.int64(0, 0) != 0 && news.int64(0, 1) > 0;
}

}  // namespace kemas::postgres
