// /readyz against the real backends: 200 when all answer, 503 naming redis while Redis is
// stopped (through scripts/services.sh), 200 again once it is back.
#include <doctest/doctest.h>

#include <boost/json/parse.hpp>

#include <cstdlib>
#include <thread>

#include "app/composition/api_backends.hpp"
#include "app/routes/health.hpp"
#include "test/support/http_client.hpp"
#include "test/support/test_api_server.hpp"
#include "test/support/test_settings.hpp"

using namespace std::chrono_literals;

namespace {

// Polls /readyz until `accept` holds or the deadline passes; returns the last answer.
kemas::test::raw_response poll_readyz(
    std::uint16_t port, std::chrono::seconds within,
    const std::function<bool(const kemas::test::raw_response&)>& accept) {
  const auto deadline = std::chrono::steady_clock::now() + within;
  for (;;) {
    auto r = kemas::test::http_request(port, "GET", "/readyz");
    if (accept(r) || std::chrono::steady_clock::now() > deadline)
      return r;
    std::this_thread::sleep_for(100ms);  // poll interval
  }
}

int services(const std::string& args) {
  return std::system(
      (kemas::test::source_path("scripts/services.sh") + " " + args + " >/dev/null 2>&1").c_str());
}

}  // namespace

TEST_CASE("readyz reports each backend / and names redis while it is down") {
  const auto settings = kemas::test::test_settings();
  kemas::test::test_api_server api;
  kemas::app::api_backends backends(api.io(), settings);
  kemas::http::add_health_routes(api.routes, backends.readiness_checks(), 1s, api.registry);
  const auto port = api.start();

  CHECK(kemas::test::http_request(port, "GET", "/healthz").status == 200);

  auto ready = poll_readyz(port, 20s, [](auto& r) { return r.status == 200; });
  INFO(ready.body);
  REQUIRE(ready.status == 200);
  auto checks = boost::json::parse(ready.body).at("checks").as_object();
  for (const char* name : {"postgres", "redis", "rabbitmq", "s3"})
    CHECK(checks.at(name).as_string() == "ok");

  REQUIRE(services("stop redis") == 0);
  auto down = poll_readyz(port, 10s, [](auto& r) { return r.status == 503; });
  const int restarted = services("start redis");  // restart before asserting, whatever happens
  INFO(down.body);
  CHECK(down.status == 503);
  auto body = boost::json::parse(down.body).as_object();
  CHECK(body.at("checks").at("redis").as_string() != "ok");
  CHECK(body.at("checks").at("postgres").as_string() == "ok");
  CHECK(std::string(body.at("error").at("message").as_string()).find("redis") != std::string::npos);
  CHECK(body.at("error").at("code").as_string() == "backend_unavailable");

  REQUIRE(restarted == 0);
  auto back = poll_readyz(port, 20s, [](auto& r) { return r.status == 200; });
  INFO(back.body);
  CHECK(back.status == 200);

  auto metrics = kemas::test::http_request(port, "GET", "/metrics");
  CHECK(metrics.status == 200);
  CHECK(metrics.body.find(
            "kemas_http_requests_total{method=\"GET\",route=\"/readyz\",status=\"503\"}") !=
        std::string::npos);
  CHECK(metrics.body.find("kemas_http_request_duration_seconds_bucket") != std::string::npos);
  api.shutdown(1s, 5s);
  backends.stop();
}
