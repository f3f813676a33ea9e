#pragma once
// exposer: serves GET /metrics (Prometheus text format) of one registry on a listener of its
// own, for processes that have no HTTP server (kemas-worker roles). kemas-api does not use it:
// its router answers /metrics itself.
//
// prometheus-cpp's pull Exposer (embedded civetweb) accepts and answers on threads of its own;
// nothing here touches an io_context or blocks the caller after construction. A scrape
// collects the registry under prometheus-cpp's locks, like registry::render().
//
// Lifetime: holds the registry weakly; destroy the exposer before the registry (a scrape after
// the registry is gone answers an empty page). The destructor stops the listener and joins its
// threads. Threads are started by the constructor: block the signals they must not take
// (kemas-worker's SIGTERM/SIGINT) before constructing it.

#include <cstdint>
#include <memory>
#include <string>

#include "domain/non_copyable.hpp"

namespace prometheus {
class Exposer;
}

namespace kemas::metrics {

class registry;

class exposer : kemas::non_copyable {
 public:
  // Listens on host:port (port 0: a free port, see port()). Throws std::runtime_error naming
  // the address when it cannot listen (port taken, bad address).
  exposer(registry& source, const std::string& host, std::uint16_t port);
  ~exposer();

  // The port actually bound.
  std::uint16_t port() const noexcept { return port_; }

 private:
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::uint16_t port_ = 0;
};

}  // namespace kemas::metrics
