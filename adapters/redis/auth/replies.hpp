#pragma once
// Internal to adapters/redis (auth/ and upload_leases): turning redis_client results into
// kemas::result, and reading the arrays the Lua scripts return. Not for use outside adapters/redis.
//
// Redis could not be asked (connect failed, connection lost, timeout, closed) becomes
// errc::backend_unavailable "redis is unavailable" (the API answers 503). An error reply or
// a reply of an unexpected shape is a bug in a script (or a key of the wrong type): it is
// logged with `operation` and becomes errc::internal.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "adapters/redis/reply.hpp"
#include "domain/result.hpp"

namespace kemas::redis::detail {

result<redis_reply> checked(const redis_result& r, std::string_view operation);
// checked(), and the reply must be an integer.
result<long long> checked_integer(const redis_result& r, std::string_view operation);
// checked(), and the reply must be a status ("OK").
result<void> checked_status(const redis_result& r, std::string_view operation);

// Logs the reply and returns errc::internal.
kemas::error unexpected_reply(std::string_view operation, const redis_reply& reply);

// Element i of an array reply as an integer / a bulk string; nullopt when the reply is not
// an array, is too short, or the element has another kind.
std::optional<long long> integer_at(const redis_reply& reply, std::size_t i);
std::optional<std::string> string_at(const redis_reply& reply, std::size_t i);

// Key names (step 2 contract).
std::string session_key(std::string_view session_id);     // kemas:session:{sid}
std::string user_sessions_key(std::string_view user_id);  // kemas:user-sessions:{uid}

}  // namespace kemas::redis::detail
