#include "adapters/postgres/outbox.hpp"

#include "domain/rfc3339.hpp"
#include "adapters/support/random.hpp"

#include "adapters/postgres/prepared.hpp"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <array>
#include <stdexcept>

namespace kemas::postgres {
namespace {

// Nearly every change writes an event: both statements are prepared (prepared.hpp).
const prepared_statement insert_event{"kemas_outbox_insert",
                                      "INSERT INTO outbox (event) VALUES (CAST($1 AS jsonb))"};

// A JSON array of events, one row each in array order (outbox ids follow it).
const prepared_statement insert_events{
    "kemas_outbox_insert_many",
    "INSERT INTO outbox (event) SELECT e.value FROM jsonb_array_elements(CAST($1 AS jsonb)) "
    "WITH ORDINALITY AS e(value, n) ORDER BY e.n"};

// Keep in step with the "type" enum of schemas/events/event.schema.json.
constexpr std::array<std::string_view, 28> event_types{
    "auth.login",          "auth.login_failed",     "auth.lockout",
    "auth.logout",         "auth.password_changed", "auth.password_reset_requested",
    "auth.password_reset", "user.registered",       "user.role_changed",
    "user.disabled",       "user.enabled",          "apikey.created",
    "apikey.revoked",      "file.uploaded",         "file.deleted",
    "upload.rejected",     "plan.created",          "plan.updated",
    "plan.deleted",        "plan.upgraded",         "plan.expired",
    "order.failed",        "user.plan_changed",     "share.created",
    "share.downloaded",    "share.revoked",         "share.expired",
    "upload.expired",
};

constexpr std::array<std::string_view, 8> subject_types{
    "user", "api_key", "session", "file", "upload", "plan", "order", "share"};

template <std::size_t N>
bool listed(const std::array<std::string_view, N>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

std::span<const std::string_view> known_event_types() noexcept {
  return event_types;
}

std::span<const std::string_view> known_subject_types() noexcept {
  return subject_types;
}

boost::json::object build_event(const model::event_draft& draft, const uuid& id, timestamp occurred_at) {
  if (!listed(event_types, draft.type))
    throw std::invalid_argument("unknown event type '" + draft.type + "'");
  if (!listed(subject_types, draft.subject_type))
    throw std::invalid_argument("unknown event subject type '" + draft.subject_type + "'");
  if (draft.subject_id.empty())
    throw std::invalid_argument("event " + draft.type + " has no subject id");

  const std::string event_id = id.to_string();
  boost::json::object actor;
  if (draft.actor_user)
    actor["user_id"] = draft.actor_user->to_string();
  else
    actor["user_id"] = nullptr;
  if (draft.actor_ip.empty())
    actor["ip"] = nullptr;
  else
    actor["ip"] = draft.actor_ip;

  boost::json::object event;
  event["id"] = event_id;
  event["type"] = draft.type;
  event["version"] = 1;
  event["occurred_at"] = kemas::format_rfc3339(occurred_at);
  // Events caused by no request (a CLI run, a sweep) still get a traceable id: their own.
  event["request_id"] = draft.request_id.empty() ? event_id : draft.request_id;
  event["actor"] = std::move(actor);
  event["subject"] = boost::json::object{{"type", draft.subject_type}, {"id", draft.subject_id}};
  event["data"] = draft.data;
  return event;
}

namespace {

std::string event_text(const model::event_draft& draft, const uuid& id) {
  const auto now =
      std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  return boost::json::serialize(build_event(draft, id, now));
}

}  // namespace

std::string event_text(const model::event_draft& draft) {
  return event_text(draft, support::random_uuid());
}

uuid append_event(soci::session& sql, const model::event_draft& draft) {
  const uuid id = support::random_uuid();
  const std::string text = event_text(draft, id);
  execute(sql, insert_event, text);
  return id;
}

void append_events(soci::session& sql, std::span<const model::event_draft> drafts) {
  if (drafts.empty())
    return;
  const auto now =
      std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  boost::json::array events;
  events.reserve(drafts.size());
  for (const auto& draft : drafts)
    events.push_back(build_event(draft, support::random_uuid(), now));
  const std::string text = boost::json::serialize(events);
  execute(sql, insert_events, text);
}

}  // namespace kemas::postgres
