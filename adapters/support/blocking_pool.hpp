#pragma once
// blocking_pool: dedicated threads for blocking calls (SOCI, librabbitmq, libcurl easy,
// Argon2, file I/O). A coroutine on an I/O thread awaits `pool.run(fn)`: fn runs on one of
// the pool's threads and the coroutine resumes on its own executor with the result, or with
// fn's exception rethrown. I/O threads therefore never block.

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <exception>
#include <optional>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "domain/non_copyable.hpp"

namespace kemas::support {

class blocking_pool : kemas::non_copyable {
 public:
  // `nice` > 0 lowers the threads' scheduling priority (Linux, per thread): CPU-bound work
  // such as password hashing then yields to the I/O threads when cores are scarce.
  explicit blocking_pool(unsigned threads, int nice = 0);
  ~blocking_pool() { stop(); }

  // Runs fn on a pool thread. Returns fn's result; rethrows fn's exception.
  template <class F>
  auto run(F fn) -> boost::asio::awaitable<std::invoke_result_t<F>> {
    using result = std::invoke_result_t<F>;
    // The jobs are named before the co_await: GCC 12 destroys the captures of a lambda
    // created as a temporary inside a co_await expression twice (asio#1007).
    if constexpr (std::is_void_v<result>) {
      auto job = [f = std::move(fn)]() mutable {
        f();
        return true;
      };
      co_await async_run<bool>(std::move(job), boost::asio::use_awaitable);
    } else {
      auto job = [f = std::move(fn)]() mutable { return std::optional<result>(f()); };
      auto value =
          co_await async_run<std::optional<result>>(std::move(job), boost::asio::use_awaitable);
      co_return std::move(*value);
    }
  }

  // Fire-and-forget: fn runs on a pool thread; nobody waits.
  template <class F>
  void post(F fn) {
    boost::asio::post(context_, std::move(fn));
  }

  // Waits for queued work to finish and joins the threads. Idempotent.
  void stop();

  boost::asio::io_context::executor_type executor() { return context_.get_executor(); }

 private:
  template <class R, class F, class Token>
  auto async_run(F fn, Token&& token) {
    return boost::asio::async_initiate<Token, void(std::exception_ptr, R)>(
        [this](auto handler, F f) {
          auto work = boost::asio::make_work_guard(boost::asio::get_associated_executor(handler));
          boost::asio::post(context_, [h = std::move(handler), f = std::move(f),
                                    w = std::move(work)]() mutable {
            std::exception_ptr error;
            R value{};
            try {
              value = f();
            } catch (...) {
              error = std::current_exception();
            }
            auto ex = w.get_executor();
            boost::asio::dispatch(ex, [h = std::move(h), error, v = std::move(value)]() mutable {
              std::move(h)(error, std::move(v));
            });
          });
        },
        token, std::move(fn));
  }

  boost::asio::io_context context_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::vector<std::thread> threads_;
};

}  // namespace kemas::support
