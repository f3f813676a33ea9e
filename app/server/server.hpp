#pragma once
// server: the HTTP/1.1 listener. One coroutine per connection, on a strand of `ioc` or, given
// io_loops, on the loops in turn (app/server/io_loops.hpp); keep-alive; limits on header
// size, body size, header/idle/request time and connection count.
// Thread-safety: start() and shutdown() may be called from any thread; handlers run on the
// io_context's (or the loops') threads (never block them).

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

#include "adapters/config/settings.hpp"
#include "domain/non_copyable.hpp"

namespace boost::asio {
class io_context;
}
namespace kemas::metrics {
class http_metrics;
}

namespace kemas::http {

class router;
class request_guard;
class io_loops;

class server : kemas::non_copyable {
 public:
  // `guard` (may be null: no CORS, no authentication) and `loops` (may be null: every
  // connection on a strand of `ioc`) must outlive the server.
  server(boost::asio::io_context& ioc, const config::http_settings& settings,
         config::environment env, const router& routes, metrics::http_metrics& metrics,
         request_guard* guard = nullptr, io_loops* loops = nullptr);
  ~server();

  // Binds settings.host:settings.port (0 → an ephemeral port) and starts accepting.
  // Returns the bound port. Throws boost::system::system_error if binding fails.
  std::uint16_t start();

  // Graceful stop: stop accepting; idle keep-alive connections close now; requests in
  // flight may finish until `grace` has passed, then their connections are closed too.
  // `done` runs (on an io_context thread) once every connection is closed.
  void shutdown(std::chrono::milliseconds grace, std::function<void()> done);

  std::size_t open_connections() const noexcept;

  struct impl;  // public only so the accept loop (server.cpp) can name it

 private:
  std::shared_ptr<impl> impl_;
};

}  // namespace kemas::http
