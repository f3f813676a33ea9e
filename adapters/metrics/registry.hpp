#pragma once

#include "domain/non_copyable.hpp"
// The process's Prometheus registry and the metric families shared across kemas.
// One registry per process, created at start and passed by reference (no globals).
// All methods are thread-safe (prometheus-cpp locks internally).

#include <memory>
#include <string>
#include <string_view>

namespace prometheus {
class Registry;
}

namespace kemas::metrics {

class registry : kemas::non_copyable {
 public:
  explicit registry(std::string_view process_name);
  ~registry();

  // Prometheus text exposition format (version 0.0.4) of every metric.
  std::string render() const;

  prometheus::Registry& prometheus_registry() noexcept;
  // For listeners that must not keep the registry alive (adapters/metrics/exposer.hpp).
  std::weak_ptr<prometheus::Registry> weak_prometheus_registry() const noexcept {
    return registry_;
  }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
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
