#pragma once
// Runs a kemas HTTP server in-process on 127.0.0.1, ephemeral port, with its own
// io_context threads; tests add routes before start().

#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "adapters/config/settings.hpp"
#include "adapters/metrics/registry.hpp"
#include "app/server/router.hpp"
#include "app/server/server.hpp"

namespace kemas::test {

class test_api_server {
 public:
  explicit test_api_server(config::http_settings settings = {});
  ~test_api_server();

  http::router routes;
  metrics::registry registry{"test"};
  metrics::http_metrics http_metrics{registry};

  std::uint16_t start(unsigned threads = 2);
  // Graceful shutdown; returns true if every connection closed before `wait` ran out.
  bool shutdown(std::chrono::milliseconds grace, std::chrono::milliseconds wait);
  std::uint16_t port() const noexcept { return port_; }
  boost::asio::io_context& io() noexcept { return ioc_; }
  http::server& server() noexcept { return *server_; }

 private:
  config::http_settings settings_;
  boost::asio::io_context ioc_;
  std::unique_ptr<http::server> server_;
  std::vector<std::thread> threads_;
  std::uint16_t port_ = 0;
  bool stopped_ = false;
};

}  // namespace kemas::test
