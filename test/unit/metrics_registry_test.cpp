// The process registry: families registered through prometheus-cpp and counters sampled from
// elsewhere (the log's dropped lines) render together.
#include <doctest/doctest.h>

#include <atomic>
#include <string>

#include "adapters/metrics/process_metrics.hpp"
#include "adapters/metrics/registry.hpp"

TEST_CASE("a sampled counter is read at every render") {
  kemas::metrics::registry registry("kemas-test");
  std::atomic<double> total{0};
  registry.add_sampled_counter("kemas_test_things_total", "Things counted elsewhere",
                               [&total] { return total.load(); });
  CHECK(registry.render().find("kemas_test_things_total 0") != std::string::npos);
  total = 7;
  const std::string text = registry.render();
  CHECK(text.find("# TYPE kemas_test_things_total counter") != std::string::npos);
  CHECK(text.find("kemas_test_things_total 7") != std::string::npos);
  CHECK(text.find(R"(kemas_process_info{process="kemas-test",version=")") != std::string::npos);
}

TEST_CASE("the registry exports the standard process families from /proc") {
  kemas::metrics::registry registry("kemas-test");
  const std::string text = registry.render();
  for (const char* family :
       {"# TYPE process_cpu_seconds_total counter", "# TYPE process_resident_memory_bytes gauge",
        "# TYPE process_virtual_memory_bytes gauge", "# TYPE process_start_time_seconds gauge",
        "# TYPE process_open_fds gauge", "# TYPE process_max_fds gauge"}) {
    CHECK_MESSAGE(text.find(family) != std::string::npos, family);
  }
}

TEST_CASE("a /proc stat line is read from after the command name whatever that holds") {
  // Field 2 may contain spaces and ')' itself: counting starts at the last ')'.
  const std::string line =
      "4242 (kemas (api) x) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 75 0 0 20 0 9 0 "
      "123456 987654321 2048 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0";
  const auto stat = kemas::metrics::parse_proc_stat(line);
  REQUIRE(stat);
  CHECK(stat->user_ticks == 250);
  CHECK(stat->system_ticks == 75);
  CHECK(stat->start_ticks == 123456);
  CHECK(stat->virtual_bytes == 987654321);
  CHECK(stat->resident_pages == 2048);
  CHECK_FALSE(kemas::metrics::parse_proc_stat("4242 (short) S 1 2 3"));
  CHECK_FALSE(kemas::metrics::parse_proc_stat("no parenthesis at all"));
  CHECK_FALSE(kemas::metrics::parse_proc_stat(
      "1 (x) S 1 1 1 0 -1 0 0 0 0 0 abc 75 0 0 20 0 9 0 1 2 3 4"));
}
