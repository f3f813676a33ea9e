// The process registry: families registered through prometheus-cpp and counters sampled from
// elsewhere (the log's dropped lines) render together.
#include <doctest/doctest.h>

#include <atomic>
#include <string>

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
  CHECK(text.find(R"(kemas_process_info{process="kemas-test"} 1)") != std::string::npos);
}
