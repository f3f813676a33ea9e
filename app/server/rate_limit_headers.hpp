#pragma once
// Rate-limit answers in HTTP (DESIGN.md "Redis"): the RateLimit-Limit / -Remaining / -Reset
// fields of the IETF httpapi draft on every limited response, Retry-After on a refusal, and
// the one 429 body. Seconds are whole and rounded UP so a client that waits as told is
// never refused again for being a few milliseconds early.

#include <cstdint>
#include <string_view>

#include "app/server/http_types.hpp"
#include "domain/rate_limit.hpp"

namespace kemas::http {

// Whole seconds from milliseconds, rounded up; negative becomes 0.
std::int64_t seconds_rounded_up(std::int64_t ms) noexcept;

// Adds RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset (seconds until the current
// window ends, >= 0) and, when the decision refused, Retry-After (seconds, >= 1).
void add_rate_limit_headers(response& res, const limit_decision& decision);

// 429 with {"error":{"code":"rate_limited",...}} and the headers above.
response too_many_requests(const limit_decision& decision, std::string_view request_id);

}  // namespace kemas::http
