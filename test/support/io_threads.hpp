#pragma once
// An io_context run by `threads` threads until destruction, and a blocking run() so a test
// thread can await a coroutine. Destroy every I/O object that uses the context first: the
// destructor waits until the context runs out of work.

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <chrono>
#include <future>
#include <stdexcept>
#include <thread>
#include <vector>

#include "domain/non_copyable.hpp"

namespace kemas::test {

class io_threads : kemas::non_copyable {
 public:
  explicit io_threads(unsigned threads);
  ~io_threads();

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
