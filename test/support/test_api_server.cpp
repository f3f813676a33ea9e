#include "test/support/test_api_server.hpp"

#include <future>

namespace kemas::test {

test_api_server::test_api_server(config::http_settings settings) : settings_(std::move(settings)) {
  settings_.host = "127.0.0.1";
  settings_.port = 0;
}

test_api_server::~test_api_server() {
  if (!stopped_ && server_)
    shutdown(std::chrono::milliseconds(100), std::chrono::seconds(5));
  ioc_.stop();
  for (auto& t : threads_)
    t.join();
}

std::uint16_t test_api_server::start(unsigned threads) {
  server_ = std::make_unique<http::server>(ioc_, settings_, config::environment::development,
                                           routes, http_metrics);
  port_ = server_->start();
  for (unsigned i = 0; i < threads; ++i)
    threads_.emplace_back([this] { ioc_.run(); });
  return port_;
}

bool test_api_server::shutdown(std::chrono::milliseconds grace, std::chrono::milliseconds wait) {
  stopped_ = true;
  auto done = std::make_shared<std::promise<void>>();
  auto future = done->get_future();
  server_->shutdown(grace, [done] { done->set_value(); });
  return future.wait_for(wait) == std::future_status::ready;
}

}  // namespace kemas::test
