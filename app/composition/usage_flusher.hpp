#pragma once
// usage_flusher: every `interval` (and once when the api stops), adds the downloads the api
// counted since the last flush (metrics::transfer_metrics' tally) to today's row of
// usage_daily — one statement per flush, none per download. A flush that fails puts its
// tally back for the next one, so nothing counted is lost while PostgreSQL is away.
// Runs as a coroutine on the api's io_context; the statement runs on the pool's threads.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>

namespace kemas::postgres {
class pg_pool;
}
namespace kemas::metrics {
class transfer_metrics;
}

namespace kemas::app {

class usage_flusher {
 public:
  static constexpr std::chrono::seconds default_interval{10};

  usage_flusher(boost::asio::io_context& ioc, postgres::pg_pool& pool,
                metrics::transfer_metrics& transfers,
                std::chrono::milliseconds interval = default_interval);

  void start();
  // Stops the loop and flushes what is left, on the calling thread (blocking: call it at
  // shutdown, before the pool stops).
  void stop();

 private:
  boost::asio::awaitable<void> run();

  boost::asio::io_context& ioc_;
  postgres::pg_pool& pool_;
  metrics::transfer_metrics& transfers_;
  std::chrono::milliseconds interval_;
  boost::asio::steady_timer timer_;
  std::atomic<bool> stopped_{false};
};

}  // namespace kemas::app
