#pragma once
// audit_repository: the audit trail (table audit_log), written by kemas-worker --role audit
// from the events of kemas.events.
//
// Contract:
//  - Storing is idempotent by event id: INSERT ... ON CONFLICT (event_id) DO NOTHING, so an
//    event delivered twice (the outbox relay and the broker are at-least-once) is one row.
//    The result says whether this call inserted it (false: it was already there).
//  - The record is stored as given: mapping an event to a record, and redacting secrets,
//    is the caller's job (workers/audit_consumer.hpp). actor_ip must be an IP address text
//    PostgreSQL's inet accepts; action 1..100 characters (the table's CHECK).
//  - insert_audit_records stores a group in one prepared statement on the caller's session
//    (a pg_pool thread), so in autocommit the group is one transaction: all of it or none.
//    Database errors propagate as exceptions (classify with adapters/postgres/errors.hpp); a
//    record PostgreSQL refuses (jsonb takes no \u0000, say) fails its whole group.
//  - audit_repository::store follows repositories/query.hpp: PostgreSQL unreachable or
//    timing out throws kemas::backend_unavailable; other failures propagate as they are.
//    It holds a reference to the pool, which must outlive it and every call in flight.

#include "adapters/postgres/repositories/query.hpp"
#include "domain/uuid.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>

#include <optional>
#include <span>
#include <string>
#include <vector>

namespace soci {
class session;
}

namespace kemas::postgres {

struct audit_record {
  uuid event_id;
  std::optional<timestamp> occurred_at;  // nullopt: the time of storing (now())
  std::optional<uuid> actor_id;          // nullopt: the system or an operator
  std::optional<std::string> actor_ip;   // "203.0.113.7", "2001:db8::1"
  std::string action;                    // the event type
  std::optional<std::string> target_type;
  std::optional<std::string> target_id;
  std::optional<boost::json::value> before;  // stored as jsonb
  std::optional<boost::json::value> after;
  std::optional<std::string> request_id;
};

// Per record, in order: true when this call inserted it, false when its event id was stored
// before or earlier in `records`.
std::vector<bool> insert_audit_records(soci::session& sql, std::span<const audit_record> records);

// A group of one: true when inserted, false when a row with this event id already existed.
bool insert_audit_record(soci::session& sql, const audit_record& record);

class audit_repository {
 public:
  explicit audit_repository(pg_pool& pool) : pool_(pool) {}

  boost::asio::awaitable<bool> store(audit_record record);

 private:
  pg_pool& pool_;
};

}  // namespace kemas::postgres
