#include "adapters/postgres/repositories/mail_store.hpp"

#include <soci/soci.h>

namespace kemas::postgres {
namespace {

constexpr const char* recipient_sql =
    "SELECT u.email, u.username, u.role, u.disabled::int, p.name, "
    "(extract(epoch FROM u.plan_expires_at) * 1000)::bigint "
    "FROM users u JOIN plans p ON p.id = u.plan_id WHERE u.id = CAST(:id AS uuid)";
constexpr const char* sent_sql =
    "SELECT count(*) FROM mail_deliveries WHERE event_id = CAST(:event AS uuid) AND kind = :kind";
constexpr const char* record_sql =
    "INSERT INTO mail_deliveries (event_id, kind, user_id) "
    "VALUES (CAST(:event AS uuid), :kind, CAST(:user AS uuid)) ON CONFLICT DO NOTHING";
// Insert-or-keep, then read back who first saw it and whether other addresses exist.
constexpr const char* note_address_sql =
    "INSERT INTO login_addresses (user_id, ip, first_event_id) "
    "VALUES (CAST(:user AS uuid), CAST(:ip AS inet), CAST(:event AS uuid)) "
    "ON CONFLICT (user_id, ip) DO UPDATE SET last_seen_at = now()";
constexpr const char* address_news_sql =
    "SELECT (a.first_event_id = CAST(:event AS uuid))::int, "
    "(SELECT count(*) FROM login_addresses o WHERE o.user_id = a.user_id AND o.ip <> a.ip "
    "   AND o.first_seen_at <= a.first_seen_at) "
    "FROM login_addresses a WHERE a.user_id = CAST(:user AS uuid) AND a.ip = CAST(:ip AS inet)";

}  // namespace

std::optional<mail_recipient> find_recipient(soci::session& sql, const uuid& user_id) {
  const std::string id = user_id.to_string();
  soci::row row;
  sql << recipient_sql, soci::use(id, "id"), soci::into(row);
  if (!sql.got_data())
    return std::nullopt;
  mail_recipient r;
  r.email = row.get<std::string>(0);
  r.username = row.get<std::string>(1);
  r.role = row.get<std::string>(2);
  r.disabled = row.get<int>(3) != 0;
  r.plan = row.get<std::string>(4);
  if (row.get_indicator(5) == soci::i_ok)
    r.plan_expires_at_ms = row.get<long long>(5);
  return r;
}

bool already_sent(soci::session& sql, const uuid& event_id, std::string_view kind) {
  const std::string event = event_id.to_string();
  const std::string k(kind);
  long long count = 0;
  sql << sent_sql, soci::use(event, "event"), soci::use(k, "kind"), soci::into(count);
  return count > 0;
}

void record_sent(soci::session& sql, const uuid& event_id, std::string_view kind,
                 const uuid& user_id) {
  const std::string event = event_id.to_string();
  const std::string k(kind);
  const std::string user = user_id.to_string();
  sql << record_sql, soci::use(event, "event"), soci::use(k, "kind"), soci::use(user, "user");
}

bool note_login_address(soci::session& sql, const uuid& user_id, const std::string& ip,
                        const uuid& event_id) {
  const std::string user = user_id.to_string();
  const std::string event = event_id.to_string();
  sql << note_address_sql, soci::use(user, "user"), soci::use(ip, "ip"), soci::use(event, "event");
  int first = 0;
  long long others = 0;
  sql << address_news_sql, soci::use(event, "event"), soci::use(user, "user"), soci::use(ip, "ip"),
      soci::into(first), soci::into(others);
  return first != 0 && others > 0;
}

}  // namespace kemas::postgres
