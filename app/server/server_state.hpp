#pragma once
// Internal to app/server: state shared by the listener and its connection sessions.
// Includes Beast: include only from app/server/*.cpp.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "adapters/config/settings.hpp"

namespace kemas::metrics {
class http_metrics;
}

namespace kemas::http {

class router;
class request_guard;

// Every open connection, so shutdown can close idle ones at once and the rest at the
// deadline. Entries are added and removed on the connection's own strand; close requests
// are posted to that strand, so a stream is never touched from another thread.
class connection_registry {
 public:
  // `idle` is the session's own flag (true while it waits for the next request); it is
  // written and read only on the connection's strand, so flipping it takes no lock.
  std::uint64_t add(boost::asio::any_io_executor strand, boost::beast::tcp_stream* stream,
                    const bool* idle);
  void remove(std::uint64_t id);
  std::size_t size() const;

  // Shutdown: close connections waiting for a request (or all of them). `owner` keeps the
  // registry alive until the posted closes have run.
  void close_idle(std::shared_ptr<const void> owner);
  void close_all(std::shared_ptr<const void> owner);
  // Runs `fn` once no connection is left (now, if none is open).
  void when_empty(std::function<void()> fn);

  bool draining() const noexcept { return draining_.load(std::memory_order_acquire); }
  void start_draining() noexcept { draining_.store(true, std::memory_order_release); }

 private:
  struct entry {
    boost::asio::any_io_executor strand;
    boost::beast::tcp_stream* stream;
    const bool* idle;
  };
  void close_matching(bool idle_only, const std::shared_ptr<const void>& owner);

  mutable std::mutex mutex_;
  std::unordered_map<std::uint64_t, entry> entries_;
  std::uint64_t next_id_ = 1;
  std::function<void()> on_empty_;
  std::atomic<bool> draining_{false};
};

struct server_state {
  server_state(boost::asio::io_context& io, const config::http_settings& s, config::environment e,
               const router& r, metrics::http_metrics& m, request_guard* g)
      : ioc(io), settings(s), env(e), routes(r), metrics(m), guard(g) {}

  boost::asio::io_context& ioc;
  config::http_settings settings;
  config::environment env;
  const router& routes;
  metrics::http_metrics& metrics;
  request_guard* guard;  // may be null
  connection_registry connections;
};

// One connection, start to end: reads requests, dispatches them, writes responses.
boost::asio::awaitable<void> serve_connection(boost::asio::ip::tcp::socket socket,
                                              std::shared_ptr<server_state> state);

}  // namespace kemas::http
