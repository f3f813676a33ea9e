#include <doctest/doctest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <memory>
#include <stdexcept>
#include <thread>

#include "adapters/support/blocking_pool.hpp"

namespace asio = boost::asio;
using kemas::support::blocking_pool;

namespace {
asio::awaitable<long> use_pool(blocking_pool& pool, std::shared_ptr<int> shared,
                               std::thread::id io_thread, bool& ran_elsewhere) {
  auto job = [shared, io_thread, &ran_elsewhere] {
    ran_elsewhere = std::this_thread::get_id() != io_thread;
    return static_cast<long>(*shared);
  };
  co_return co_await pool.run(std::move(job));
}

asio::awaitable<void> throw_through(blocking_pool& pool) {
  auto job = []() -> int { throw std::runtime_error("boom"); };
  co_await pool.run(std::move(job));
}
}  // namespace

TEST_CASE("blocking work runs on the pool and the result comes back / captures are released once") {
  blocking_pool pool(2);
  asio::io_context ioc;
  auto shared = std::make_shared<int>(41);
  bool ran_elsewhere = false;
  long value = 0;
  asio::co_spawn(ioc, use_pool(pool, shared, std::this_thread::get_id(), ran_elsewhere),
                 [&](std::exception_ptr e, long v) {
                   REQUIRE_FALSE(e);
                   value = v;
                 });
  ioc.run();
  CHECK(value == 41);
  CHECK(ran_elsewhere);
  pool.stop();  // the pool thread may still be releasing the job when run() returns
  // A capture destroyed twice (GCC 12 co_await temporaries) would leave this wrong.
  CHECK(shared.use_count() == 1);
}

TEST_CASE("exceptions from blocking work reach the awaiting coroutine") {
  blocking_pool pool(1);
  asio::io_context ioc;
  std::string message;
  asio::co_spawn(ioc, throw_through(pool), [&](std::exception_ptr e) {
    try {
      if (e)
        std::rethrow_exception(e);
    } catch (const std::runtime_error& err) {
      message = err.what();
    }
  });
  ioc.run();
  CHECK(message == "boom");
}
