#include "adapters/redis/auth/replies.hpp"

#include "adapters/log/logging.hpp"

namespace kemas::redis::detail {

result<redis_reply> checked(const redis_result& r, std::string_view operation) {
  if (!r) {
    // Expected when Redis is down: the caller answers 503; logged once per request there.
    return make_error(errc::backend_unavailable, "redis is unavailable");
  }
  if (r->is_error())
    return unexpected_reply(operation, *r);
  return *r;
}

kemas::error unexpected_reply(std::string_view operation, const redis_reply& reply) {
  const std::string described = reply.describe();
  log::error("unexpected redis reply", {{"operation", operation}, {"reply", described}});
  return make_error(errc::internal, "unexpected answer from redis");
}

std::optional<long long> integer_at(const redis_reply& reply, std::size_t i) {
  if (!reply.is_array() || reply.elements().size() <= i)
    return std::nullopt;
  const redis_reply& e = reply.elements()[i];
  if (!e.is_integer())
    return std::nullopt;
  return e.integer();
}

std::optional<std::string> string_at(const redis_reply& reply, std::size_t i) {
  if (!reply.is_array() || reply.elements().size() <= i)
    return std::nullopt;
  const redis_reply& e = reply.elements()[i];
  if (!e.is_string())
    return std::nullopt;
  return e.str();
}

std::string session_key(std::string_view session_id) {
  return "kemas:session:" + std::string(session_id);
}

std::string user_sessions_key(std::string_view user_id) {
  return "kemas:user-sessions:" + std::string(user_id);
}

}  // namespace kemas::redis::detail
