#include "app/routes/render.hpp"

#include <boost/json/value_from.hpp>

#include "domain/rfc3339.hpp"

namespace kemas::http {
namespace {
boost::json::value time_or_null(const std::optional<timestamp>& t) {
  if (!t)
    return nullptr;
  return boost::json::string(format_rfc3339(*t));
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

}  // namespace kemas::http
