#pragma once
// pg_pool: the PostgreSQL pool actor. It owns `pool_size` threads; each thread owns one
// soci::session for its whole life, so a session is only ever used by its own thread.
// Callers hand it work as a function of the session and get the result back:
//
//   auto n = co_await pool.run([id](soci::session& sql) {
//     int count = 0;
//     sql << "SELECT count(*) FROM files WHERE owner_id = :id", soci::use(id), soci::into(count);
//     return count;
//   });
//
// Contract:
//  - run(fn) queues fn; the first idle pool thread calls fn(session); the awaiting coroutine
//    resumes on its own executor with fn's result, or with fn's exception rethrown. I/O
//    threads never block. Calls run in parallel up to pool_size; the queue is unbounded
//    (bound concurrency above this layer) and served in order.
//  - fn runs on a pool thread: it must not touch the caller's non-thread-safe state, and
//    must not co_await or call back into the pool (with_session from fn deadlocks).
//    Captured references must outlive the co_await (they do when fn is awaited at once).
//  - Connections open lazily on first use. Before each call the thread notices a connection
//    that died while idle (server restart, pg_terminate_backend) and reconnects; a call
//    whose connection breaks mid-way fails with pg_connection_error and the next call
//    reconnects. Connect failures also surface as pg_connection_error. Each new connection
//    gets `SET statement_timeout` from the settings.
//  - fn should leave no transaction open (use soci::transaction); if it does, the pool rolls
//    it back and logs a warning, so the next caller starts clean.
//  - run() does not react to cancellation (awaitable operators, timers): a queued or running
//    call completes, and its coroutine resumes only then. Put a deadline around it by
//    running it detached (as /readyz does) if the caller must not wait.
//  - stop() refuses new calls (they fail with pg_connection_error), lets queued calls run,
//    closes the sessions and joins the threads. The destructor calls stop().

#include "adapters/config/settings.hpp"
#include "domain/non_copyable.hpp"

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <exception>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

namespace soci {
class session;
}

namespace kemas::postgres {

class pg_pool : kemas::non_copyable {
 public:
  // Starts the threads; does not connect. Throws std::invalid_argument for pool_size 0 or an
  // unparsable url. application_name shows in pg_stat_activity ("kemas-api", ...).
  explicit pg_pool(config::postgres_settings settings, std::string application_name = "kemas");
  ~pg_pool();

  template <class F>
  auto run(F fn) -> boost::asio::awaitable<std::invoke_result_t<F, soci::session&>> {
    using result = std::invoke_result_t<F, soci::session&>;
    static_assert(!std::is_reference_v<result>, "return a value, not a reference into the session");
    if constexpr (std::is_void_v<result>) {
      co_await async_submit<result>(std::move(fn), boost::asio::use_awaitable);
    } else {
      co_return std::move(
          *co_await async_submit<result>(std::move(fn), boost::asio::use_awaitable));
    }
  }

  // Blocking variant for CLI tools and tests: waits for fn on a pool thread. Never call it
  // from an I/O thread or from inside fn.
  template <class F>
  auto with_session(F fn) -> std::invoke_result_t<F, soci::session&> {
    using result = std::invoke_result_t<F, soci::session&>;
    std::promise<result> promise;
    auto future = promise.get_future();
    submit(std::make_unique<sync_job<result, F>>(std::move(fn), std::move(promise)));
    return future.get();
  }

  // SELECT 1 through the pool; false (never throws) when the server is unreachable. For
  // /readyz: callers put their own deadline around it.
  boost::asio::awaitable<bool> ping();

  void stop();
  unsigned size() const noexcept;

 private:
  struct job {
    virtual ~job() = default;
    virtual void invoke(soci::session& session) = 0;      // on a pool thread; may throw
    virtual void complete(std::exception_ptr error) = 0;  // exactly once, after invoke
  };

  template <class R>
  using stored_t = std::conditional_t<std::is_void_v<R>, bool, R>;

  // Calls fn on the session and keeps what it returned for complete().
  template <class R, class F>
  struct job_of : job {
    explicit job_of(F f) : fn(std::move(f)) {}
    void invoke(soci::session& session) override {
      if constexpr (std::is_void_v<R>) {
        fn(session);
      } else {
        value.emplace(fn(session));
      }
    }
    F fn;
    std::optional<stored_t<R>> value;
  };

  template <class R, class F, class Handler>
  struct async_job final : job_of<R, F> {
    async_job(F f, Handler h)
        : job_of<R, F>(std::move(f)),
          handler(std::move(h)),
          work(boost::asio::make_work_guard(boost::asio::get_associated_executor(handler))) {}
    void complete(std::exception_ptr error) override {
      auto executor = work.get_executor();
      // post, not dispatch: complete() may run inside async_initiate (pool stopped), where
      // resuming the coroutine inline is not allowed.
      boost::asio::post(executor, [h = std::move(handler), error,
                                   v = std::move(this->value)]() mutable {
        if constexpr (std::is_void_v<R>) {
          std::move(h)(error);
        } else {
          std::move(h)(error, std::move(v));
        }
      });
      work.reset();
    }
    Handler handler;
    boost::asio::executor_work_guard<boost::asio::associated_executor_t<Handler>> work;
  };

  template <class R, class F>
  struct sync_job final : job_of<R, F> {
    sync_job(F f, std::promise<R> p) : job_of<R, F>(std::move(f)), promise(std::move(p)) {}
    void complete(std::exception_ptr error) override {
      if (error) {
        promise.set_exception(error);
      } else if constexpr (std::is_void_v<R>) {
        promise.set_value();
      } else {
        promise.set_value(std::move(*this->value));
      }
    }
    std::promise<R> promise;
  };

  template <class R, class F, class Token>
  auto async_submit(F fn, Token&& token) {
    using signature = std::conditional_t<std::is_void_v<R>, void(std::exception_ptr),
                                         void(std::exception_ptr, std::optional<R>)>;
    return boost::asio::async_initiate<Token, signature>(
        [this](auto handler, F f) {
          using handler_type = decltype(handler);
          submit(std::make_unique<async_job<R, F, handler_type>>(std::move(f), std::move(handler)));
        },
        token, std::move(fn));
  }

  // Queues the job, or completes it at once with pg_connection_error when stopped.
  void submit(std::unique_ptr<job> work);

  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace kemas::postgres
