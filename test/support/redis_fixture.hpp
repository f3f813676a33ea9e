#pragma once
// Test helpers for the Redis client: settings from the KEMAS_REDIS_* environment written by
// scripts/services.sh (.run/env), unique key prefixes, and an io_context running on a few
// threads that tests drive coroutines on.

#include "adapters/config/settings.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <chrono>
#include <future>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace kemas::test {

// KEMAS_REDIS_HOST, KEMAS_REDIS_PORT (and KEMAS_REDIS_PASSWORD if set) from the environment,
// else from <source dir>/.run/env. Throws std::runtime_error naming a missing variable.
config::redis_settings redis_settings_from_env();

// "it:<tag>:<random hex>:" — keys under it belong to this run only.
std::string unique_redis_prefix(std::string_view tag);

// An io_context run by `threads` threads until destruction. Destroy every I/O object that
// uses it (redis_client, ...) first: the destructor waits until the context runs out of work.
class redis_io_threads {
 public:
  explicit redis_io_threads(unsigned threads);
  ~redis_io_threads();
  redis_io_threads(const redis_io_threads&) = delete;
  redis_io_threads& operator=(const redis_io_threads&) = delete;

  boost::asio::io_context& context() noexcept { return context_; }
  boost::asio::any_io_executor executor() { return context_.get_executor(); }

  // Runs a coroutine on the context and blocks the calling (test) thread for its result;
  // rethrows its exception. Throws std::runtime_error if it takes longer than `limit`.
  template <class T>
  T run(boost::asio::awaitable<T> coroutine,
        std::chrono::milliseconds limit = std::chrono::seconds(60)) {
    auto future = boost::asio::co_spawn(context_, std::move(coroutine), boost::asio::use_future);
    if (future.wait_for(limit) != std::future_status::ready) {
      throw std::runtime_error("coroutine did not finish in time");
    }
    return future.get();
  }

 private:
  boost::asio::io_context context_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::vector<std::thread> threads_;
};

}  // namespace kemas::test
