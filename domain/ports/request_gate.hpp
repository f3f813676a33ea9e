#pragma once
// request_gate: the per-request round trip to the shared state (DESIGN.md "Redis") — the
// sliding-window rate limit of one class and key (domain/rate_limit.hpp) and, for a session's
// request, whether the session still exists — in one atomic step. Implemented by
// adapters/redis (request_gate: one Lua script) and in memory for unit tests.
// Errors are values: the store unreachable is backend_unavailable; an invalid limit_spec
// internal.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "domain/account.hpp"
#include "domain/ports/async.hpp"
#include "domain/rate_limit.hpp"
#include "domain/result.hpp"
#include "domain/uuid.hpp"

namespace kemas::ports {

// One rate-limit class applied to one key. Valid when: cls is 1–32 characters of [a-z_];
// id is 1–256 bytes without control characters or spaces; 1 <= limit <= 1'000'000;
// 1 ms <= window <= 24 days.
struct limit_spec {
  std::string cls;  // "auth" | "general" | "apikey" | "apikey_failure"
  std::string id;   // client IP (IPv6 /64) | user uuid | API key prefix | client IP
  std::uint32_t limit = 0;
  std::chrono::milliseconds window{0};
};

struct session_view {
  uuid user_id;
  kemas::role role = role::user;
};

struct gate_answer {
  std::optional<session_view> session;  // nullopt: not asked, or no such session
  limit_decision limit;
  window_counts counts;  // what was read before counting this call (for logs and tests)
};

class request_gate {
 public:
  virtual ~request_gate() = default;
  // Session check (when session_id is given) and rate limit, in one round trip. Every call is
  // subject to the limit; only an allowed call is counted.
  virtual async<result<gate_answer>> check(std::optional<std::string> session_id,
                                           limit_spec spec) = 0;
  // Rate limit only, for requests without a session (login, register, API keys).
  virtual async<result<limit_decision>> hit(limit_spec spec) = 0;
  // What a hit would decide now, without counting (is this key already over its limit?).
  virtual async<result<limit_decision>> peek(limit_spec spec) = 0;
};

}  // namespace kemas::ports
