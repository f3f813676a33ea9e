#pragma once
// GET /healthz (the process answers), GET /readyz (every backend answers in time; one round
// of probes per second at most, callers in between get the last round's answer),
// GET /metrics (Prometheus text; a scrape also refreshes kemas_backend_up{backend} from the
// same rounds).

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "app/server/router.hpp"

namespace kemas::metrics {
class registry;
}

namespace kemas::http {

struct readiness_check {
  std::string name;                                     // "postgres", "redis", ...
  std::function<boost::asio::awaitable<bool>()> probe;  // true when the backend answered
};

void add_health_routes(router& routes, std::vector<readiness_check> checks,
                       std::chrono::milliseconds timeout, metrics::registry& registry);

}  // namespace kemas::http
