#pragma once
// Transactional outbox: an event is a row of `outbox`, inserted by the SAME transaction as the
// change it describes, so the change and its event commit or vanish together. A relay
// (workers/) publishes unpublished rows in id order to the exchange `kemas.events` and stamps
// published_at; delivery is therefore at least once, and consumers dedupe by the event id.
//
// The row's JSON is schemas/events/event.schema.json:
//   {"id": uuid, "type": "user.registered", "version": 1,
//    "occurred_at": "2024-05-01T12:34:56.789Z", "request_id": "...",
//    "actor": {"user_id": uuid|null, "ip": string|null},
//    "subject": {"type": "user"|"api_key"|"session"|"file"|"upload", "id": "..."},
//    "data": {...}}
//
// Contract:
//  - append_event runs one INSERT on the caller's session; it opens no transaction of its own
//    (the caller's soci::transaction makes it atomic with the change; outside a transaction
//    it is a standalone event, e.g. auth.login). Call it on a pg_pool thread.
//  - A type or subject type the schema does not list is a programming error:
//    std::invalid_argument, before anything is written. Database errors propagate as SOCI
//    exceptions (classify them with adapters/postgres/errors.hpp).
//  - data is stored as given. The one event that carries a secret is
//    auth.password_reset_requested (data.token, for the mailer); audit must redact it.

#include "domain/model/event.hpp"
#include "domain/rfc3339.hpp"
#include "domain/uuid.hpp"

#include <boost/json/object.hpp>

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace soci {
class session;
}

namespace kemas::postgres {


// Event types of schemas/events/event.schema.json (a test keeps the two lists equal).
std::span<const std::string_view> known_event_types() noexcept;
std::span<const std::string_view> known_subject_types() noexcept;

// The event document for `draft` with the given id and time. Pure. Throws
// std::invalid_argument for an unknown type or subject type, or an empty subject id.
boost::json::object build_event(const model::event_draft& draft, const uuid& id, timestamp occurred_at);

// The event's JSON text as append_event inserts it (random id, occurred_at = now, UTC ms),
// for a statement that inserts it itself (schemas/migrations/0009_commit_upload.sql).
std::string event_text(const model::event_draft& draft);

// Inserts the event (random id, occurred_at = now, UTC ms) into outbox on `sql`, inside the
// caller's transaction if one is open. Returns the event id.
uuid append_event(soci::session& sql, const model::event_draft& draft);

// The same for several events in ONE statement (a group commit's events), inserted in the
// order given. Nothing for an empty span.
void append_events(soci::session& sql, std::span<const model::event_draft> drafts);

}  // namespace kemas::postgres
