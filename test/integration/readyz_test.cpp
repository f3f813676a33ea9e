// /readyz against the real backends: 200 when all answer, 503 naming redis while Redis is
// stopped (through scripts/services.sh), 200 again once it is back; after a RabbitMQ outage
// it is ready again within about a second of the broker's return.
#include "test/support/eventually.hpp"

#include <doctest/doctest.h>

#include <boost/json/parse.hpp>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <thread>

#include "app/composition/api_backends.hpp"
#include "app/routes/health.hpp"
#include "test/support/http_client.hpp"
#include "test/support/redis_fixture.hpp"
#include "test/support/test_api_server.hpp"
#include "test/support/test_settings.hpp"

using namespace std::chrono_literals;

namespace {

// Polls /readyz until `accept` holds or the deadline passes; returns the last answer.
kemas::test::raw_response poll_readyz(
    std::uint16_t port, std::chrono::seconds within,
    const std::function<bool(const kemas::test::raw_response&)>& accept) {
  kemas::test::raw_response r;
  kemas::test::eventually(
      [&] {
        r = kemas::test::http_request(port, "GET", "/readyz");
        return accept(r);
      },
      within, 100ms);
  return r;
}

// An api serving the health routes over the real backends of the test settings.
struct health_stack {
  const kemas::config::settings settings = kemas::test::test_settings();
  kemas::test::test_api_server api;
  kemas::app::api_backends backends{api.io(), settings};
  std::uint16_t port = start();

  ~health_stack() {
    api.shutdown(1s, 5s);
    backends.stop();
  }

 private:
  std::uint16_t start() {
    kemas::http::add_health_routes(api.routes, backends.readiness_checks(), 1s, api.registry);
    return api.start();
  }
};

int services(const std::string& args) {
  return std::system(
      (kemas::test::source_path("scripts/services.sh") + " " + args + " >/dev/null 2>&1").c_str());
}

}  // namespace

TEST_CASE("readyz reports each backend / and names redis while it is down") {
  health_stack stack;
  const auto port = stack.port;

  CHECK(kemas::test::http_request(port, "GET", "/healthz").status == 200);

  auto ready = poll_readyz(port, 20s, [](auto& r) { return r.status == 200; });
  INFO(ready.body);
  REQUIRE(ready.status == 200);
  auto checks = boost::json::parse(ready.body).at("checks").as_object();
  for (const char* name : {"postgres", "redis", "rabbitmq", "s3"})
    CHECK(checks.at(name).as_string() == "ok");

  REQUIRE(services("stop redis") == 0);
  auto down = poll_readyz(port, 10s, [](auto& r) { return r.status == 503; });
  // A scrape answers from the shared round of the last second, else probes anew.
  std::string scraped_down;
  kemas::test::eventually([&] {
    scraped_down = kemas::test::http_request(port, "GET", "/metrics").body;
    return scraped_down.find("kemas_backend_up{backend=\"redis\"} 0") != std::string::npos;
  });
  const int restarted = services("start redis");  // restart before asserting, whatever happens
  CHECK(scraped_down.find("kemas_backend_up{backend=\"redis\"} 0") != std::string::npos);
  CHECK(scraped_down.find("kemas_backend_up{backend=\"postgres\"} 1") != std::string::npos);
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
  CHECK(metrics.body.find("kemas_backend_up{backend=\"redis\"} 1") != std::string::npos);
  CHECK(metrics.body.find("# TYPE process_cpu_seconds_total counter") != std::string::npos);
}

TEST_CASE("readyz and publishing recover within about a second of RabbitMQ's return") {
  // Finding 5 of issue 14: the reconnect delay grew to 10 s, so after an outage of that
  // length the api answered 503 for 5-10 s more with the broker back.
  health_stack stack;
  const auto port = stack.port;
  REQUIRE(poll_readyz(port, 20s, [](auto& r) { return r.status == 200; }).status == 200);

  REQUIRE(services("stop rabbitmq") == 0);
  auto down = poll_readyz(port, 10s, [](auto& r) { return r.status == 503; });
  // Down long enough for a doubling schedule from 200 ms to reach its ceiling, and not
  // ready all that time.
  const auto outage_end = std::chrono::steady_clock::now() + 12s;
  auto during = poll_readyz(port, 15s, [&](auto& r) {
    return r.status != 503 || std::chrono::steady_clock::now() >= outage_end;
  });
  const int restarted = services("start rabbitmq");  // restart before asserting, whatever happens
  const auto back_at = std::chrono::steady_clock::now();
  INFO(down.body);
  CHECK(down.status == 503);
  CHECK(during.status == 503);
  CHECK(boost::json::parse(down.body).at("checks").at("rabbitmq").as_string() != "ok");
  REQUIRE(restarted == 0);

  auto back = poll_readyz(port, 20s, [](auto& r) { return r.status == 200; });
  const auto recovery = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - back_at);
  INFO(back.body, " after ", recovery.count(), " ms");
  CHECK(back.status == 200);
  // amqp.reconnect_max (1 s) plus the readiness cache (1 s) plus a margin for this machine.
  CHECK(recovery < 3s);
}

namespace {

// Redis's own count of PING commands served (INFO commandstats), read with redis-cli.
long long redis_pings() {
  const auto settings = kemas::test::redis_settings_from_env();
  const std::string command = "redis-cli -h " + settings.host + " -p " +
                              std::to_string(settings.port) + " INFO commandstats";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command.c_str(), "r"), ::pclose);
  REQUIRE(pipe != nullptr);
  char line[512];
  while (std::fgets(line, sizeof line, pipe.get()) != nullptr) {
    const std::string text(line);
    if (text.starts_with("cmdstat_ping:calls="))
      return std::stoll(text.substr(std::string("cmdstat_ping:calls=").size()));
  }
  return 0;
}

}  // namespace

TEST_CASE("readyz probes each backend at most once a second however often it is asked") {
  // Finding 9 of issue 13: anyone could queue probes on the backends' pools.
  health_stack stack;
  const auto port = stack.port;
  REQUIRE(poll_readyz(port, 20s, [](auto& r) { return r.status == 200; }).status == 200);

  const auto before = redis_pings();
  const auto started = std::chrono::steady_clock::now();
  int answered = 0;
  for (int i = 0; i < 40; ++i)
    answered += kemas::test::http_request(port, "GET", "/readyz").status == 200 ? 1 : 0;
  const auto elapsed = std::chrono::steady_clock::now() - started;
  const auto pings = redis_pings() - before;
  CHECK(answered == 40);
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(elapsed).count();
  INFO("40 calls in ", seconds, " s made ", pings, " Redis PINGs");
  CHECK(pings <= seconds + 2);  // one round per started second (each pings once)
  CHECK(pings < 40);
}
