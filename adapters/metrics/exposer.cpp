#include "adapters/metrics/exposer.hpp"

#include "adapters/metrics/registry.hpp"

#include <prometheus/exposer.h>
#include <prometheus/registry.h>

#include <stdexcept>

namespace kemas::metrics {
namespace {

// civetweb's listening_ports syntax: "127.0.0.1:9464", "[::1]:9464".
std::string listen_address(const std::string& host, std::uint16_t port) {
  const bool ipv6 = host.find(':') != std::string::npos;
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

}  // namespace

exposer::exposer(registry& source, const std::string& host, std::uint16_t port) {
  const std::string address = listen_address(host, port);
  try {
    // Two threads: a slow scraper does not hold up the next one.
    exposer_ = std::make_unique<prometheus::Exposer>(address, 2);
  } catch (const std::exception& e) {
    // civetweb's CivetException: "null context when constructing CivetServer. Possible
    // problem binding to port."
    throw std::runtime_error("cannot serve metrics on " + address + ": " + e.what());
  }
  exposer_->RegisterCollectable(source.weak_collectable());
  const std::vector<int> ports = exposer_->GetListeningPorts();
  if (ports.empty())
    throw std::runtime_error("cannot serve metrics on " + address + ": no listening port");
  port_ = static_cast<std::uint16_t>(ports.front());
}

exposer::~exposer() = default;

}  // namespace kemas::metrics
