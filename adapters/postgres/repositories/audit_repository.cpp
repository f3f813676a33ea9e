#include "adapters/postgres/repositories/audit_repository.hpp"

#include <soci/soci.h>

#include <boost/json/serialize.hpp>

namespace kemas::postgres {
namespace {

// Times travel as epoch milliseconds and uuids, addresses and JSON as text with a cast, the
// forms SOCI 4.0 binds without surprises (see rows.hpp). A NULL time means "now".
constexpr const char* insert_sql =
    "INSERT INTO audit_log (event_id, occurred_at, actor_id, actor_ip, action, target_type, "
    "target_id, before, after, request_id) VALUES ("
    "CAST(:event_id AS uuid), "
    "COALESCE(to_timestamp(CAST(:occurred_ms AS bigint) / 1000.0), now()), "
    "CAST(:actor_id AS uuid), CAST(:actor_ip AS inet), :action, :target_type, :target_id, "
    "CAST(:before AS jsonb), CAST(:after AS jsonb), :request_id) "
    "ON CONFLICT (event_id) DO NOTHING";

// A bound text parameter that may be NULL: the value and its indicator live together so both
// outlive the statement.
struct nullable_text {
  std::string value;
  soci::indicator indicator = soci::i_null;

  static nullable_text of(const std::optional<std::string>& text) {
    return text ? nullable_text{*text, soci::i_ok} : nullable_text{};
  }
  static nullable_text of(const std::optional<uuid>& id) {
    return id ? nullable_text{id->to_string(), soci::i_ok} : nullable_text{};
  }
  static nullable_text of(const std::optional<boost::json::value>& json) {
    return json ? nullable_text{boost::json::serialize(*json), soci::i_ok} : nullable_text{};
  }
};

}  // namespace

bool insert_audit_record(soci::session& sql, const audit_record& record) {
  const std::string event_id = record.event_id.to_string();
  long long occurred_ms =
      record.occurred_at ? static_cast<long long>(record.occurred_at->time_since_epoch().count())
                         : 0;
  soci::indicator occurred_indicator = record.occurred_at ? soci::i_ok : soci::i_null;
  nullable_text actor_id = nullable_text::of(record.actor_id);
  nullable_text actor_ip = nullable_text::of(record.actor_ip);
  nullable_text target_type = nullable_text::of(record.target_type);
  nullable_text target_id = nullable_text::of(record.target_id);
  nullable_text before = nullable_text::of(record.before);
  nullable_text after = nullable_text::of(record.after);
  nullable_text request_id = nullable_text::of(record.request_id);

  soci::statement insert = (sql.prepare << insert_sql, soci::use(event_id, "event_id"),
                            soci::use(occurred_ms, occurred_indicator, "occurred_ms"),
                            soci::use(actor_id.value, actor_id.indicator, "actor_id"),
                            soci::use(actor_ip.value, actor_ip.indicator, "actor_ip"),
                            soci::use(record.action, "action"),
                            soci::use(target_type.value, target_type.indicator, "target_type"),
                            soci::use(target_id.value, target_id.indicator, "target_id"),
                            soci::use(before.value, before.indicator, "before"),
                            soci::use(after.value, after.indicator, "after"),
                            soci::use(request_id.value, request_id.indicator, "request_id"));
  insert.execute(true);
  return insert.get_affected_rows() == 1;
}

boost::asio::awaitable<bool> audit_repository::store(audit_record record) {
  auto job = [record = std::move(record)](soci::session& sql) {
    return insert_audit_record(sql, record);
  };
  co_return co_await run_query(pool_, std::move(job));
}

}  // namespace kemas::postgres
