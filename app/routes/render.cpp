#include "app/routes/render.hpp"

#include <boost/json/parse.hpp>

#include <boost/json/value_from.hpp>

#include "domain/rfc3339.hpp"

namespace kemas::http {
boost::json::value time_or_null(const std::optional<timestamp>& t) {
  if (!t)
    return nullptr;
  return boost::json::string(format_rfc3339(*t));
}

namespace {
// A jsonb column's text as JSON (its text when it does not parse).
boost::json::value stored_json(const std::string& text) {
  if (text.empty())
    return nullptr;
  boost::system::error_code ec;
  auto value = boost::json::parse(text, ec);
  return ec ? boost::json::value(text) : value;
}

}  // namespace

boost::json::object user_json(const model::user& user) {
  return {{"id", user.id.to_string()},
          {"email", user.email},
          {"username", user.username},
          {"role", role_name(user.role)},
          {"plan", user.plan},
          {"plan_expires_at", time_or_null(user.plan_expires_at)},
          {"used_bytes", user.used_bytes},
          {"disabled", user.disabled},
          {"created_at", format_rfc3339(user.created_at)}};
}

boost::json::object api_key_json(const model::api_key& key) {
  return {{"id", key.id.to_string()},
          {"name", key.name},
          {"prefix", key.prefix},
          {"scopes", boost::json::value_from(key.scopes.names())},
          {"created_at", format_rfc3339(key.created_at)},
          {"last_used_at", time_or_null(key.last_used_at)},
          {"expires_at", time_or_null(key.expires_at)},
          {"revoked_at", time_or_null(key.revoked_at)}};
}

boost::json::object audit_entry_json(const ports::audit_entry& e) {
  return {{"seq", e.seq},
          {"event_id", e.event_id},
          {"occurred_at", format_rfc3339(e.occurred_at)},
          {"actor_id",
           e.actor ? boost::json::value(e.actor->to_string()) : boost::json::value(nullptr)},
          {"actor_ip",
           e.actor_ip.empty() ? boost::json::value(nullptr) : boost::json::value(e.actor_ip)},
          {"action", e.action},
          {"target_type",
           e.target_type.empty() ? boost::json::value(nullptr) : boost::json::value(e.target_type)},
          {"target_id",
           e.target_id.empty() ? boost::json::value(nullptr) : boost::json::value(e.target_id)},
          {"before", stored_json(e.before_json)},
          {"after", stored_json(e.after_json)},
          {"request_id",
           e.request_id.empty() ? boost::json::value(nullptr) : boost::json::value(e.request_id)}};
}

boost::json::object session_json(const ports::session_info& session) {
  auto at = [](std::int64_t ms) {
    return format_rfc3339(timestamp(std::chrono::milliseconds(ms)));
  };
  auto text_or_null = [](const std::string& text) {
    return text.empty() ? boost::json::value(nullptr) : boost::json::value(text);
  };
  return {{"created_at", at(session.created_ms)},
          {"last_seen_at", at(session.last_seen_ms)},
          {"ip", text_or_null(session.ip)},
          {"device", text_or_null(session.device)}};
}

}  // namespace kemas::http
