#pragma once
// The process's Prometheus registry and the metric families shared across kemas.
// One registry per process, created at start and passed by reference (no globals).
// All methods are thread-safe (prometheus-cpp locks internally).

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "domain/non_copyable.hpp"

namespace prometheus {
class Collectable;
class Registry;
}  // namespace prometheus

namespace kemas::metrics {

class registry : kemas::non_copyable {
 public:
  explicit registry(std::string_view process_name);
  ~registry();

  // Prometheus text exposition format (version 0.0.4) of every metric.
  std::string render() const;

  // A counter kept elsewhere (another library's running total), read at every scrape.
  // `read` must be thread-safe and cheap, and never decrease.
  void add_sampled_counter(std::string name, std::string help, std::function<double()> read);

  prometheus::Registry& prometheus_registry() noexcept;
  // Everything render() shows, for listeners that must not keep the registry alive
  // (adapters/metrics/exposer.hpp).
  std::weak_ptr<prometheus::Collectable> weak_collectable() const noexcept;

 private:
  class sampled;
  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<sampled> all_;  // registry_'s families and the sampled counters
};

// HTTP request count and latency by route (the route pattern, never the raw path, so the
// label set stays bounded), method and status.
class http_metrics : kemas::non_copyable {
 public:
  explicit http_metrics(registry& r);
  ~http_metrics();

  void observe(std::string_view route, std::string_view method, unsigned status, double seconds);
  void connection_opened();
  void connection_closed();
  void connection_refused();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace kemas::metrics
