#include "adapters/metrics/registry.hpp"
#include "adapters/metrics/process_metrics.hpp"

#include <map>
#include <mutex>
#include <string_view>
#include <tuple>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

namespace kemas::metrics {

class registry::sampled final : public prometheus::Collectable {
 public:
  explicit sampled(std::shared_ptr<prometheus::Registry> families)
      : families_(std::move(families)) {}

  void add(std::string name, std::string help, std::function<double()> read) {
    std::lock_guard lock(mutex_);
    counters_.push_back({std::move(name), std::move(help), std::move(read)});
  }

  std::vector<prometheus::MetricFamily> Collect() const override {
    auto all = families_->Collect();
    for (auto& family : process_families())
      all.push_back(std::move(family));
    std::lock_guard lock(mutex_);
    for (const auto& c : counters_) {
      prometheus::ClientMetric sample;
      sample.counter.value = c.read();
      all.push_back({c.name, c.help, prometheus::MetricType::Counter, {sample}});
    }
    return all;
  }

 private:
  struct counter {
    std::string name;
    std::string help;
    std::function<double()> read;
  };
  std::shared_ptr<prometheus::Registry> families_;
  mutable std::mutex mutex_;
  std::vector<counter> counters_;
};

registry::registry(std::string_view process_name)
    : registry_(std::make_shared<prometheus::Registry>()),
      all_(std::make_shared<sampled>(registry_)) {
  prometheus::BuildGauge()
      .Name("kemas_process_info")
      .Help("Always 1; labels identify the kemas process and its version")
      .Register(*registry_)
      .Add({{"process", std::string(process_name)}, {"version", KEMAS_VERSION}})
      .Set(1);
}

registry::~registry() = default;

std::string registry::render() const {
  return prometheus::TextSerializer().Serialize(all_->Collect());
}

void registry::add_sampled_counter(std::string name, std::string help,
                                   std::function<double()> read) {
  all_->add(std::move(name), std::move(help), std::move(read));
}

std::weak_ptr<prometheus::Collectable> registry::weak_collectable() const noexcept {
  return all_;
}

prometheus::Registry& registry::prometheus_registry() noexcept {
  return *registry_;
}

namespace {
const prometheus::Histogram::BucketBoundaries latency_buckets{
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

// One request's label values, and the same owned, for the series cache below.
struct series_view {
  std::string_view route;
  std::string_view method;
  unsigned status;
};
struct series_key {
  std::string route;
  std::string method;
  unsigned status;
};
struct series_order {
  using is_transparent = void;
  static series_view view(const series_key& k) { return {k.route, k.method, k.status}; }
  static series_view view(const series_view& v) { return v; }
  template <class A, class B>
  bool operator()(const A& a, const B& b) const {
    const series_view x = view(a);
    const series_view y = view(b);
    return std::tie(x.route, x.method, x.status) < std::tie(y.route, y.method, y.status);
  }
};
struct series {
  prometheus::Counter* requests;
  prometheus::Histogram* latency;
};
}  // namespace

// The series of a label set are looked up once and kept: prometheus-cpp's Family::Add copies
// the labels into a map and, for a histogram, builds a whole Histogram (its bucket vector)
// on every call only to throw it away when the series exists. Label values come from bounded
// sets (route patterns, the method list, statuses), so the cache is bounded too.
struct http_metrics::impl {
  prometheus::Family<prometheus::Counter>& requests;
  prometheus::Family<prometheus::Histogram>& latency;
  prometheus::Gauge& open_connections;
  prometheus::Counter& refused_connections;
  std::mutex mutex;
  std::map<series_key, series, series_order> known;

  series find(std::string_view route, std::string_view method, unsigned status) {
    const series_view view{route, method, status};
    std::lock_guard lock(mutex);
    if (auto hit = known.find(view); hit != known.end())
      return hit->second;
    const std::string status_text = std::to_string(status);
    const prometheus::Labels labels{
        {"route", std::string(route)}, {"method", std::string(method)}, {"status", status_text}};
    series made{&requests.Add(labels), &latency.Add(labels, latency_buckets)};
    known.emplace(series_key{std::string(route), std::string(method), status}, made);
    return made;
  }
};

http_metrics::http_metrics(registry& r) {
  auto& reg = r.prometheus_registry();
  auto& requests = prometheus::BuildCounter()
                       .Name("kemas_http_requests_total")
                       .Help("HTTP requests answered, by route pattern, method and status")
                       .Register(reg);
  auto& latency = prometheus::BuildHistogram()
                      .Name("kemas_http_request_duration_seconds")
                      .Help("Time from complete request header to response written")
                      .Register(reg);
  auto& connections = prometheus::BuildGauge()
                          .Name("kemas_http_open_connections")
                          .Help("Client connections currently open")
                          .Register(reg)
                          .Add({});
  auto& refused = prometheus::BuildCounter()
                      .Name("kemas_http_refused_connections_total")
                      .Help("Connections refused because http.max_connections was reached")
                      .Register(reg)
                      .Add({});
  impl_ = std::make_unique<impl>(requests, latency, connections, refused);
}

http_metrics::~http_metrics() = default;

void http_metrics::observe(std::string_view route, std::string_view method, unsigned status,
                           double seconds) {
  const series found = impl_->find(route, method, status);
  found.requests->Increment();
  found.latency->Observe(seconds);
}

void http_metrics::connection_opened() {
  impl_->open_connections.Increment();
}
void http_metrics::connection_closed() {
  impl_->open_connections.Decrement();
}
void http_metrics::connection_refused() {
  impl_->refused_connections.Increment();
}

}  // namespace kemas::metrics
