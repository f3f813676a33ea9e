#pragma once
// The `audit` role's handling of events from kemas.events.audit: each event becomes one row
// of audit_log (adapters/postgres/repositories/audit_repository.hpp), then it is acked.
//
// Mapping (audit_record_from_event, pure):
//   id -> event_id, type -> action, occurred_at, request_id, actor.user_id / actor.ip,
//   subject.type / subject.id -> target_type / target_id,
//   data.before -> before; data.after -> after, and the other keys of data (the details of
//   events that are not changes: e-mail of user.registered, name/scopes of apikey.created,
//   "via" of an operator's change) are merged into after (keys of data.after win), since
//   audit_log has no column of its own for them. A field that is absent or null stays NULL;
//   occurred_at absent: the time of storing; version absent: 1.
// Redaction: secrets never reach audit_log. data.token_sealed of auth.password_reset_requested,
//   and in every event any key named token, token_sealed, password, password_hash, secret,
//   secret_hash, access_token, refresh_token or api_key (at any depth of data), is stored as
//   "[redacted]".
// Malformed (dead-lettered with the reason, never stored): not JSON, not an object, over
//   1 MiB, id not a UUID, type missing/empty/over 100 characters, version other than 1, or a
//   present field of the wrong shape (occurred_at not RFC 3339, actor.user_id not a UUID,
//   actor.ip not an IP address, data not an object, ...).
//
// Delivery (audit_writer): at least once in, exactly once in audit_log: storing is idempotent
// by event id (ON CONFLICT DO NOTHING), and each message is acked only after its row is
// committed. Events that wait together (up to worker.group_size, out of the amqp.prefetch
// window) are stored as one group: one statement and one transaction, so the chain's lock is
// taken once per group (a burst of uploads or a sweep's plan.expired events is what fills
// them; a lone event is stored at once). PostgreSQL unreachable or timing out: the group is
// retried in place with backoff (200 ms .. 5 s, so an outage does not use up the queue's
// delivery limit) until it succeeds or the role stops (then it is requeued). Another database
// error (an event PostgreSQL refuses, a bug, a missing table) fails the group's statement:
// each member is then stored alone, and the one that fails alone is dead-lettered with the
// error as the reason.

#include "adapters/amqp/consumer.hpp"
#include "adapters/postgres/repositories/audit_repository.hpp"
#include "domain/non_copyable.hpp"

#include <boost/json/object.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace kemas::config {
struct settings;
}

namespace kemas::worker {

inline constexpr std::string_view redacted_value = "[redacted]";

// The row for an event, or why the event is malformed (pure; unit-testable).
std::variant<postgres::audit_record, std::string> audit_record_from_event(std::string_view body);

// nullopt when the event is acceptable, else why not (audit_record_from_event's verdict).
std::optional<std::string> check_audit_event(const std::string& body);

// `data` with secrets replaced by "[redacted]" (the rules above).
boost::json::object redact_event_data(std::string_view type, boost::json::object data);

// Stores deliveries into audit_log on threads of its own (settings.worker.handler_threads, each
// with a PostgreSQL connection of settings.postgres), in groups of up to
// settings.worker.group_size. Thread-safe.
class audit_writer : kemas::non_copyable {
 public:
  explicit audit_writer(const config::settings& settings);
  ~audit_writer();

  // The consumer callback: malformed events are dead-lettered at once; the rest are queued
  // to the writer threads. Returns without blocking.
  void on_delivery(amqp::delivery message, amqp::delivery_handle handle);

  // From now on a delivery waiting to retry a failed write is requeued instead.
  void begin_stop();
  // Waits until no delivery is being stored or the deadline passed; true when idle.
  bool wait_idle(std::chrono::steady_clock::time_point deadline);
  std::size_t running() const noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace kemas::worker
