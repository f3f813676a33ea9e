#pragma once
// request_gate: the per-request Redis round trip — the sliding-window rate limit of one
// class and key (domain/rate_limit.hpp), and, for authenticated requests, whether the
// session still exists. One Lua script, so one round trip and one atomic step:
//
//   kemas::redis::request_gate gate(redis);
//   auto answer = co_await gate.check(claims.sid, {"general", user_id.to_string(), 100, 60s});
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
#include "domain/ports/request_gate.hpp"
#include "domain/rate_limit.hpp"
#include "domain/result.hpp"
#include "domain/uuid.hpp"

namespace kemas::redis {

class redis_client;

using ports::gate_answer;
using ports::limit_spec;
using ports::session_view;

class request_gate final : public ports::request_gate {
 public:
  explicit request_gate(redis_client& redis) noexcept : redis_(redis) {}

  // Session check (when session_id is given) and rate limit, in one round trip.
  boost::asio::awaitable<result<gate_answer>> check(std::optional<std::string> session_id,
                                                    limit_spec spec) override;
  // Rate limit only, for requests without a session (login, register, API keys).
  boost::asio::awaitable<result<limit_decision>> hit(limit_spec spec) override;
  // The decision a hit would get, without counting.
  boost::asio::awaitable<result<limit_decision>> peek(limit_spec spec) override;

 private:
  boost::asio::awaitable<result<gate_answer>> run(std::optional<std::string> session_id,
                                                  limit_spec spec, bool count);
  redis_client& redis_;
};

}  // namespace kemas::redis
