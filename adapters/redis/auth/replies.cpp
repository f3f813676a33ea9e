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

result<long long> checked_integer(const redis_result& r, std::string_view operation) {
  auto reply = checked(r, operation);
  if (!reply)
    return reply.error();
  if (!reply->is_integer())
    return unexpected_reply(operation, *reply);
  return reply->integer();
}

result<void> checked_status(const redis_result& r, std::string_view operation) {
  auto reply = checked(r, operation);
  if (!reply)
    return reply.error();
  if (!reply->is_status())
    return unexpected_reply(operation, *reply);
  return {};
}

kemas::error unexpected_reply(std::string_view operation, const redis_reply& reply) {
  const std::string described = reply.describe();
  log::error("unexpected redis reply", {{"operation", operation}, {"reply", described}});
  return make_error(errc::internal, "unexpected answer from redis");
}

namespace {
const redis_reply* element_at(const redis_reply& reply, std::size_t i) {
  if (!reply.is_array() || reply.elements().size() <= i)
    return nullptr;
  return &reply.elements()[i];
}
}  // namespace

std::optional<long long> integer_at(const redis_reply& reply, std::size_t i) {
  const redis_reply* e = element_at(reply, i);
  return e != nullptr && e->is_integer() ? std::optional(e->integer()) : std::nullopt;
}

std::optional<std::string> string_at(const redis_reply& reply, std::size_t i) {
  const redis_reply* e = element_at(reply, i);
  return e != nullptr && e->is_string() ? std::optional(e->str()) : std::nullopt;
}

std::string session_key(std::string_view session_id) {
  return "kemas:session:" + std::string(session_id);
}

std::string user_sessions_key(std::string_view user_id) {
  return "kemas:user-sessions:" + std::string(user_id);
}

}  // namespace kemas::redis::detail
