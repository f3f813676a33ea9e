#pragma once
// JSON views of stored records. Secrets (password hashes, key hashes) are never rendered.

#include <optional>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "domain/model/api_key.hpp"
#include "domain/model/user.hpp"
#include "domain/ports/admin_directory.hpp"
#include "domain/ports/session_store.hpp"

namespace kemas::http {

// An optional time as RFC 3339 text, or null.
boost::json::value time_or_null(const std::optional<timestamp>& t);
boost::json::object user_json(const model::user& user);
// An audit_log row (admin audit trail, a user's own activity).
boost::json::object audit_entry_json(const ports::audit_entry& entry);
boost::json::object api_key_json(const model::api_key& key);
// A live session as its user and admins see it (no id: the caller adds it where it may show).
boost::json::object session_json(const ports::session_info& session);

}  // namespace kemas::http
