#include "app/routes/health.hpp"
#include "app/routes/access.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <memory>
#include <optional>

#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "adapters/metrics/registry.hpp"
#include "adapters/support/snapshot_cache.hpp"
#include "app/server/error_response.hpp"

namespace kemas::http {
namespace asio = boost::asio;

namespace {

// Results of one /readyz round. Probes run detached so a probe that ignores cancellation
// (a blocking client stuck in a connect) cannot hold the answer past the timeout.
struct probe_round {
  explicit probe_round(asio::any_io_executor ex, std::size_t n)
      : timer(std::move(ex)), results(n), pending(n) {}
  asio::steady_timer timer;
  std::vector<std::optional<bool>> results;
  std::size_t pending;
};

// One round's outcome, as /readyz reports it.
struct readiness_report {
  boost::json::object checks;  // name -> "ok" | "unavailable" | "timeout"
  std::string failed;          // names of the checks that did not pass, comma-separated
};

asio::awaitable<readiness_report> probe_all(const std::vector<readiness_check>& checks,
                                            std::chrono::milliseconds timeout) {
  auto ex = co_await asio::this_coro::executor;  // the connection's strand: handlers below run here
  auto round = std::make_shared<probe_round>(ex, checks.size());
  for (std::size_t i = 0; i < checks.size(); ++i) {
    asio::co_spawn(ex, checks[i].probe(), [round, i](std::exception_ptr error, bool ok) {
      round->results[i] = !error && ok;
      if (--round->pending == 0)
        round->timer.cancel();
    });
  }
  if (round->pending > 0) {
    round->timer.expires_after(timeout);
    co_await round->timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  readiness_report report;
  for (std::size_t i = 0; i < checks.size(); ++i) {
    const auto& r = round->results[i];
    const char* state = !r ? "timeout" : (*r ? "ok" : "unavailable");
    report.checks[checks[i].name] = state;
    if (!r || !*r)
      report.failed += (report.failed.empty() ? "" : ", ") + checks[i].name;
  }
  co_return report;
}

struct readiness {
  std::vector<readiness_check> checks;
  std::chrono::milliseconds timeout;
  // Anyone may call /readyz: each backend sees at most one probe per second however many do.
  support::snapshot_cache<readiness_report> recent{std::chrono::seconds(1)};
  // kemas_backend_up{backend}, one per check, set from every round.
  std::vector<prometheus::Gauge*> up;
};

// The last round's answer, probing again first when it is more than a second old (and no
// other caller is already doing so). Empty only while the very first round runs.
asio::awaitable<std::optional<readiness_report>> current_report(readiness& state) {
  auto report = state.recent.fresh();
  if (!report && state.recent.begin_refresh()) {
    try {
      auto probed = co_await probe_all(state.checks, state.timeout);
      for (std::size_t i = 0; i < state.checks.size(); ++i)
        state.up[i]->Set(probed.checks.at(state.checks[i].name).as_string() == "ok" ? 1 : 0);
      state.recent.store(probed);
      report = std::move(probed);
    } catch (...) {
      state.recent.abandon();
      throw;
    }
  }
  if (!report)
    report = state.recent.latest();
  co_return report;
}

asio::awaitable<result<response>> readyz(readiness& state, request_context& ctx) {
  auto report = co_await current_report(state);
  if (!report) {  // the very first round is still running
    auto r = error_response(errc::backend_unavailable, "not ready: first check still running",
                            ctx.request_id());
    co_return r.with_header("Retry-After", "1");
  }
  boost::json::object body;
  body["status"] = report->failed.empty() ? "ready" : "unavailable";
  body["checks"] = report->checks;
  if (report->failed.empty())
    co_return response::json(200, boost::json::serialize(body));
  body["error"] = boost::json::object{{"code", "backend_unavailable"},
                                      {"message", "not ready: " + report->failed},
                                      {"request_id", ctx.request_id()}};
  co_return response::json(503, boost::json::serialize(body)).with_header("Retry-After", "1");
}

// A scrape also refreshes kemas_backend_up (at most one probe round a second, shared with
// /readyz), so the readiness alert needs no prober of its own.
asio::awaitable<result<response>> metrics_text(readiness& state,
                                               const metrics::registry& registry) {
  co_await current_report(state);
  co_return response::text(200, registry.render(), "text/plain; version=0.0.4; charset=utf-8");
}

}  // namespace

void add_health_routes(router& routes, std::vector<readiness_check> checks,
                       std::chrono::milliseconds timeout, metrics::registry& registry) {
  routes.add(method::get, "/healthz", access::probe,
             [](request_context&) -> asio::awaitable<result<response>> {
               co_return response::json(200, R"({"status":"ok"})");
             });
  auto state = std::make_shared<readiness>();
  state->checks = std::move(checks);
  state->timeout = timeout;
  auto& up = prometheus::BuildGauge()
                 .Name("kemas_backend_up")
                 .Help("1 when the backend answered the last readiness round (/readyz or a "
                       "scrape), else 0")
                 .Register(registry.prometheus_registry());
  for (const auto& check : state->checks)
    state->up.push_back(&up.Add({{"backend", check.name}}));
  routes.add(method::get, "/readyz", access::probe,
             [state](request_context& ctx) { return readyz(*state, ctx); });
  routes.add(method::get, "/metrics", access::probe,
             [state, &registry](request_context&) { return metrics_text(*state, registry); });
}

}  // namespace kemas::http
