#pragma once
// request_gate: the per-request Redis round trip — the sliding-window rate limit of one
// class and key (domain/rate_limit.hpp), and, for authenticated requests, whether the
// session still exists. One Lua script, so one round trip and one atomic step:
//
//   kemas::redis::request_gate gate(redis);
//   auto answer = co_await gate.check(claims.sid,
//       kemas::redis::limit_for("general", user_id.to_string(), settings.ratelimit));
//   if (!answer) -> 503 (backend_unavailable) / 500 (internal)
//   else if (!answer->session) -> 401 (session revoked or expired)
//   else if (!answer->limit.allowed) -> 429 with Retry-After / RateLimit-* headers
//
// Semantics:
//  - Time is Redis's (TIME), never the caller's clock, so many api processes agree.
//  - Every call is subject to the limit; only an allowed call is counted. The limit applies
//    whether or not the session exists (a flood of revoked tokens costs its sender too).
//  - Counter keys are kemas:rl:{cls}:{id}:{window index}, one per fixed window, expiring
//    two windows after their last increment.
//  - A session_id that is not 32 lower-hex characters is not looked up: no session.
//    A session hash whose uid or role does not parse counts as no session (fail closed).
//
// Threading and lifetime: the gate is stateless apart from the client reference; it may be
// shared by all threads. `redis` must outlive the gate and every call in flight.
// Errors: values, never thrown for Redis trouble — Redis unreachable gives
// errc::backend_unavailable "redis is unavailable"; an invalid limit_spec (see below) or an
// unexpected reply gives errc::internal. Only std::bad_alloc and the like escape.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "adapters/config/settings.hpp"
#include "domain/account.hpp"
#include "domain/rate_limit.hpp"
#include "domain/result.hpp"
#include "domain/uuid.hpp"

namespace kemas::redis {

class redis_client;

// One rate-limit class applied to one key. Valid when: cls is 1–32 characters of [a-z_];
// id is 1–256 bytes without control characters or spaces; 1 <= limit <= 1'000'000;
// 1 ms <= window <= 24 days. (The bounds keep the script's double arithmetic exact.)
struct limit_spec {
  std::string cls;  // "auth" | "general" | "apikey"
  std::string id;   // client IP | user uuid | API key prefix
  std::uint32_t limit = 0;
  std::chrono::milliseconds window{0};
};

// The spec of a configured class: "auth", "general" or "apikey" (anything else: a spec
// with limit 0, which check() refuses as invalid).
limit_spec limit_for(std::string_view cls, std::string id, const config::ratelimit_settings& s);

struct session_view {
  uuid user_id;
  kemas::role role = role::user;
};

struct gate_answer {
  std::optional<session_view> session;  // nullopt: not asked, or no such session
  limit_decision limit;
  // What the script read before counting this call (for logs and tests).
  window_counts counts;
};

class request_gate {
 public:
  explicit request_gate(redis_client& redis) noexcept : redis_(redis) {}

  // Session check (when session_id is given) and rate limit, in one round trip.
  boost::asio::awaitable<result<gate_answer>> check(std::optional<std::string> session_id,
                                                    limit_spec spec);
  // Rate limit only, for requests without a session (login, register, API keys).
  boost::asio::awaitable<result<limit_decision>> hit(limit_spec spec);

 private:
  redis_client& redis_;
};

}  // namespace kemas::redis
