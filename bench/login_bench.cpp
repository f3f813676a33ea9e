// kemas_login_bench: what a login costs and what it does to everyone else.
//
// The whole kemas-api runs in-process (test/support/api_fixture: api_application + http::server
// on an ephemeral port, a scratch database, the shared Redis) with the PRODUCTION Argon2id cost
// read from conf/kemas.toml, and blocking HTTP/1.1 clients on loopback measure:
//   1. GET /healthz latency over keep-alive with no other load (the baseline);
//   2. sequential logins, each on a fresh connection, and verify_password alone in-process,
//      to show how much of a login is hashing;
//   3. logins/s with 2, 4 and 8 clients logging in back to back;
//   4. GET /healthz latency while the best of (3) runs again: hashing has its own pool
//      (auth.hash_threads), so the I/O threads should keep answering; printed as a ratio to (1).
// Absolute figures move with the machine's load; the ratios are the result. See bench/README.md.

#include <spdlog/sinks/null_sink.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "adapters/config/settings.hpp"
#include "adapters/crypto/password_hasher.hpp"
#include "adapters/log/logging.hpp"
#include "app/composition/api_application.hpp"
#include "bench/bench_common.hpp"
#include "test/support/api_fixture.hpp"
#include "test/support/http_client.hpp"
#include "test/support/test_settings.hpp"

namespace {

using namespace kemas::bench;
using kemas::test::raw_connection;

constexpr int healthz_requests = 2000;
constexpr auto probe_pause =
    std::chrono::milliseconds(2);  // the prober is "another client", not a flood
constexpr int sequential_logins = 50;
constexpr int verify_samples = 20;
constexpr auto throughput_run = std::chrono::seconds(5);
constexpr unsigned client_counts[] = {2, 4, 8};
constexpr const char* password = "correct horse battery 1";

std::string forwarded_for(unsigned group, unsigned client) {
  return "X-Forwarded-For: 10.250." + std::to_string(group) + "." + std::to_string(client + 1) +
         "\r\n";
}

std::string login_body(const std::string& user) {
  return R"({"email":")" + user + R"(@bench.example","password":")" + password + R"("})";
}

void register_user(std::uint16_t port, const std::string& user) {
  const std::string body = R"({"email":")" + user + R"(@bench.example","username":")" + user +
                           R"(","password":")" + password + R"("})";
  auto r = kemas::test::http_request(port, "POST", "/api/v1/user/register", body,
                                     forwarded_for(0, 0) + "Content-Type: application/json\r\n");
  if (r.status != 201)
    throw std::runtime_error("register " + user + " answered " + std::to_string(r.status) + ": " +
                             r.body);
}

// One login on a fresh connection, as a real client does; true on 200.
bool login(std::uint16_t port, const std::string& body, const std::string& headers) {
  try {
    return kemas::test::http_request(port, "POST", "/api/v1/user/login", body, headers).status ==
           200;
  } catch (const std::exception&) {
    return false;
  }
}

struct probe_result {
  std::vector<double> ms;
  unsigned errors = 0;
};

// GET /healthz over one keep-alive connection, `count` times or until `stop`, pausing
// probe_pause between requests. A failed request counts as an error and reconnects.
probe_result probe_healthz(std::uint16_t port, int count, const std::atomic<bool>* stop) {
  probe_result out;
  constexpr std::string_view request = "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n";
  auto connection = std::make_unique<raw_connection>("127.0.0.1", port);
  for (int i = 0; count < 0 || i < count; ++i) {
    if (stop != nullptr && stop->load())
      break;
    const auto start = clock_type::now();
    try {
      connection->send(request);
      if (connection->read_response().status != 200)
        ++out.errors;
      out.ms.push_back(ms_since(start));
    } catch (const std::exception&) {
      ++out.errors;
      connection = std::make_unique<raw_connection>("127.0.0.1", port);
    }
    std::this_thread::sleep_for(probe_pause);
  }
  return out;
}

// `clients` threads, each its own user and client address, logging in back to back.
load_result login_load(std::uint16_t port, unsigned clients, unsigned group) {
  std::vector<std::string> bodies, headers;
  for (unsigned c = 0; c < clients; ++c) {
    bodies.push_back(login_body("load" + std::to_string(c)));
    headers.push_back(forwarded_for(group, c) + "Content-Type: application/json\r\n");
  }
  return run_load(clients, std::chrono::duration<double>(throughput_run).count(),
                  [&](unsigned c, unsigned) { return login(port, bodies[c], headers[c]); });
}

void row(const char* what, std::size_t n, const std::vector<double>& ms,
         const std::string& note = {}) {
  std::printf("%-34s %6zu %9.2f %9.2f %9.2f %9.2f  %s\n", what, n, percentile(ms, 50),
              percentile(ms, 90), percentile(ms, 99),
              ms.empty() ? 0.0 : *std::ranges::max_element(ms), note.c_str());
}

int run() {
  // The production cost as configured (conf/kemas.toml plus KEMAS_AUTH_* overrides); the
  // fixture lowers it for the test suite, so put it back.
  const auto production = kemas::test::test_settings().auth;
  // Every request logs a line; format it (part of the real cost) but drop it, so the table
  // stays readable. KEMAS_BENCH_LOG=1 keeps the lines on stderr instead.
  const bool show_log = std::getenv("KEMAS_BENCH_LOG") != nullptr;
  kemas::log::init_logging({}, "kemas-api",
                           show_log ? nullptr : std::make_shared<spdlog::sinks::null_sink_mt>());
  kemas::test::api_fixture api([&](kemas::config::settings& s) {
    s.auth.argon2_memory_kib = production.argon2_memory_kib;
    s.auth.argon2_iterations = production.argon2_iterations;
    s.auth.argon2_parallelism = production.argon2_parallelism;
    s.auth.hash_threads = production.hash_threads;
    s.http.trusted_proxies = {"127.0.0.1"};
    s.ratelimit.auth_limit = 1'000'000;  // measure hashing, not the limiter's 429s
    s.auth.login_failure_limit = 1'000'000;
  });
  api.application().warm_up();
  const auto& auth = api.settings().auth;
  const auto port = api.port();

  print_machine_line("login");
  std::printf("argon2id m=%u KiB t=%u p=%u, auth.hash_threads=%u, http io threads=2 (fixture)\n\n",
              auth.argon2_memory_kib, auth.argon2_iterations, auth.argon2_parallelism,
              auth.hash_threads);

  register_user(port, "seq0");
  for (unsigned c = 0; c < client_counts[std::size(client_counts) - 1]; ++c)
    register_user(port, "load" + std::to_string(c));

  // 1. Baseline.
  probe_healthz(port, 200, nullptr);  // warm-up: connection, allocator, caches
  const auto baseline = probe_healthz(port, healthz_requests, nullptr);

  // 2. Sequential logins, and the hash alone.
  const std::string seq_body = login_body("seq0");
  const std::string seq_headers = forwarded_for(1, 0) + "Content-Type: application/json\r\n";
  // The hash alone is timed between logins (spread evenly) so both see the same machine.
  const kemas::crypto::argon2_params params{auth.argon2_memory_kib, auth.argon2_iterations,
                                            auth.argon2_parallelism};
  const std::string encoded = kemas::crypto::hash_password(password, params);
  for (int i = 0; i < 3; ++i)
    login(port, seq_body, seq_headers);
  std::vector<double> seq_ms;
  std::vector<double> verify_ms;
  unsigned seq_errors = 0;
  for (int i = 0; i < sequential_logins; ++i) {
    auto t = clock_type::now();
    if (login(port, seq_body, seq_headers))
      seq_ms.push_back(ms_since(t));
    else
      ++seq_errors;
    if (verify_ms.size() * sequential_logins < static_cast<std::size_t>((i + 1) * verify_samples)) {
      t = clock_type::now();
      if (!kemas::crypto::verify_password(password, encoded))
        throw std::runtime_error("verify_password said no");
      verify_ms.push_back(ms_since(t));
    }
  }

  // 3. Throughput.
  std::vector<load_result> loads;
  for (unsigned i = 0; i < std::size(client_counts); ++i)
    loads.push_back(login_load(port, client_counts[i], 2 + i));
  const auto best = *std::ranges::max_element(loads, {}, &load_result::per_second);

  // 4. The best concurrency again, with a prober beside it.
  std::atomic<bool> stop{false};
  probe_result under_load;
  std::thread prober([&] { under_load = probe_healthz(port, -1, &stop); });
  const auto stalled = login_load(port, best.clients, 10);
  stop = true;
  prober.join();

  const double verify_p50 = percentile(verify_ms, 50);
  const double ceiling = auth.hash_threads * 1000.0 / verify_p50;  // logins/s if hashing were all
  std::printf("%-34s %6s %9s %9s %9s %9s\n", "latency (ms)", "n", "p50", "p90", "p99", "max");
  row("healthz baseline (keep-alive)", baseline.ms.size(), baseline.ms,
      "errors " + std::to_string(baseline.errors));
  row("login sequential (fresh conn)", seq_ms.size(), seq_ms,
      "errors " + std::to_string(seq_errors));
  row("verify_password alone", verify_ms.size(), verify_ms);
  for (const auto& l : loads) {
    char note[160];
    std::snprintf(note, sizeof note, "%.1f logins/s = %.2fx hash ceiling, errors %u",
                  l.per_second(), l.per_second() / ceiling, l.errors);
    row(("login, " + std::to_string(l.clients) + " clients").c_str(), l.ok, l.ms, note);
  }
  char note[160];
  std::snprintf(note, sizeof note, "%.1f logins/s, errors %u", stalled.per_second(),
                stalled.errors);
  row(("login, " + std::to_string(best.clients) + " clients + prober").c_str(), stalled.ok,
      stalled.ms, note);
  const double p50_ratio = percentile(under_load.ms, 50) / percentile(baseline.ms, 50);
  const double p99_ratio = percentile(under_load.ms, 99) / percentile(baseline.ms, 99);
  std::snprintf(note, sizeof note, "p50 %.1fx, p99 %.1fx baseline, errors %u", p50_ratio, p99_ratio,
                under_load.errors);
  row("healthz under login load", under_load.ms.size(), under_load.ms, note);

  std::printf(
      "\nhash ceiling = hash_threads / verify p50 = %.1f logins/s; hashing = %.0f%% of a "
      "sequential login\n",
      ceiling, 100.0 * verify_p50 / percentile(seq_ms, 50));
  std::printf("load average at the end: %s\n", load_average().c_str());
  std::printf(
      "\nlogin p50 = %.0f ms (Argon2 verify %.0f ms); %.1f logins/s with %u clients; "
      "healthz p99 under login load = %.1fx baseline (p50 %.1fx)\n",
      percentile(seq_ms, 50), verify_p50, best.per_second(), best.clients, p99_ratio, p50_ratio);

  unsigned errors = seq_errors + baseline.errors + under_load.errors + stalled.errors;
  for (const auto& l : loads)
    errors += l.errors;
  return errors == 0 ? 0 : 1;
}

}  // namespace

int main() {
  return kemas::bench::exit_code_of("kemas_login_bench", run);
}
