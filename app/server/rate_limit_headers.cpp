#include "app/server/rate_limit_headers.hpp"

#include <algorithm>
#include <string>

#include "app/server/error_response.hpp"

namespace kemas::http {

std::int64_t seconds_rounded_up(std::int64_t ms) noexcept {
  if (ms <= 0)
    return 0;
  return ms / 1000 + (ms % 1000 != 0 ? 1 : 0);
}

void add_rate_limit_headers(response& res, const limit_decision& decision) {
  res.headers.push_back({"RateLimit-Limit", std::to_string(decision.limit)});
  res.headers.push_back(
      {"RateLimit-Remaining", std::to_string(decision.allowed ? decision.remaining : 0)});
  res.headers.push_back(
      {"RateLimit-Reset", std::to_string(seconds_rounded_up(decision.reset_after_ms))});
  if (!decision.allowed) {
    const auto retry = std::max<std::int64_t>(1, seconds_rounded_up(decision.retry_after_ms));
    res.headers.push_back({"Retry-After", std::to_string(retry)});
  }
}

response too_many_requests(const limit_decision& decision, std::string_view request_id) {
  const auto retry = std::max<std::int64_t>(1, seconds_rounded_up(decision.retry_after_ms));
  auto res = error_response(errc::rate_limited,
                            "too many requests: retry in " + std::to_string(retry) +
                                (retry == 1 ? " second" : " seconds"),
                            request_id);
  limit_decision refused = decision;
  refused.allowed = false;  // a 429 always tells when to come back
  add_rate_limit_headers(res, refused);
  return res;
}

}  // namespace kemas::http
