#pragma once
// An event as a change describes it (schemas/events/event.schema.json): what happened, who
// did it, to what, with type-specific details. The store that commits the change writes it
// to the outbox in the same transaction (adapters/postgres/outbox.hpp adds id and time).

#include <boost/json/object.hpp>

#include <optional>
#include <string>

#include "domain/uuid.hpp"

namespace kemas::model {

struct event_draft {
  std::string type;                // one of the schema's event types
  std::string request_id;          // the HTTP request's id; empty: the event id is used
  std::optional<uuid> actor_user;  // who did it; nullopt for the system or an operator CLI
  std::string actor_ip;            // client address; empty: null in the event
  std::string subject_type;        // "user" | "api_key" | "session" | "file" | "upload" |
                                   // "plan" | "order"
  std::string subject_id;          // stores fill it in when they create the subject
  boost::json::object data;        // type-specific details
};

}  // namespace kemas::model
