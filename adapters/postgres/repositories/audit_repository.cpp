#include "adapters/postgres/repositories/audit_repository.hpp"

#include <soci/soci.h>

#include "adapters/postgres/prepared.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <cstdint>
#include <set>

namespace kemas::postgres {
namespace {

// A group of events is one statement (one transaction in autocommit): the records travel as
// one jsonb array, so the statement is prepared once per connection whatever the group's
// size. WITH ORDINALITY and ORDER BY keep the array's order, which is the order the chain
// trigger (0004_mail_audit_chain.sql) links the rows in; its advisory lock is taken once per
// group, not once per event. ON CONFLICT skips an event stored before, or earlier in the same
// array (a duplicate delivery in one group); RETURNING names the rows this call inserted.
// A NULL time means "now".
const prepared_statement insert_group_statement{
    "kemas_audit_insert_group",
    "INSERT INTO audit_log (event_id, occurred_at, actor_id, actor_ip, action, target_type, "
    "target_id, before, after, request_id) "
    "SELECT r.event_id, COALESCE(to_timestamp(r.occurred_ms / 1000.0), now()), r.actor_id, "
    "r.actor_ip, r.action, r.target_type, r.target_id, r.before, r.after, r.request_id "
    "FROM ROWS FROM (jsonb_to_recordset(CAST($1 AS jsonb)) AS (event_id uuid, "
    "occurred_ms bigint, actor_id uuid, actor_ip inet, action text, target_type text, "
    "target_id text, before jsonb, after jsonb, request_id text)) WITH ORDINALITY AS r "
    "ORDER BY r.ordinality "
    "ON CONFLICT (event_id) DO NOTHING RETURNING event_id::text"};

// The record as one element of the statement's array; absent fields stay out (NULL).
boost::json::object element_of(const audit_record& record) {
  boost::json::object e;
  e["event_id"] = record.event_id.to_string();
  if (record.occurred_at)
    e["occurred_ms"] = static_cast<std::int64_t>(record.occurred_at->time_since_epoch().count());
  if (record.actor_id)
    e["actor_id"] = record.actor_id->to_string();
  if (record.actor_ip)
    e["actor_ip"] = *record.actor_ip;
  e["action"] = record.action;
  if (record.target_type)
    e["target_type"] = *record.target_type;
  if (record.target_id)
    e["target_id"] = *record.target_id;
  if (record.before)
    e["before"] = *record.before;
  if (record.after)
    e["after"] = *record.after;
  if (record.request_id)
    e["request_id"] = *record.request_id;
  return e;
}

}  // namespace

std::vector<bool> insert_audit_records(soci::session& sql, std::span<const audit_record> records) {
  if (records.empty())
    return {};
  boost::json::array elements;
  elements.reserve(records.size());
  for (const audit_record& record : records)
    elements.emplace_back(element_of(record));
  const std::optional<std::string> parameters[] = {boost::json::serialize(elements)};
  const prepared_rows rows = execute_prepared(sql, insert_group_statement, parameters);
  // Each returned id marks its first occurrence in the group as inserted.
  std::multiset<std::string> inserted;
  for (int i = 0; i < rows.size(); ++i)
    inserted.insert(rows.text(i, 0));
  std::vector<bool> out;
  out.reserve(records.size());
  for (const audit_record& record : records) {
    const auto found = inserted.find(record.event_id.to_string());
    out.push_back(found != inserted.end());
    if (found != inserted.end())
      inserted.erase(found);
  }
  return out;
}

bool insert_audit_record(soci::session& sql, const audit_record& record) {
  return insert_audit_records(sql, std::span(&record, 1)).front();
}

boost::asio::awaitable<bool> audit_repository::store(audit_record record) {
  auto job = [record = std::move(record)](soci::session& sql) {
    return insert_audit_record(sql, record);
  };
  co_return co_await run_query(pool_, std::move(job));
}

}  // namespace kemas::postgres
