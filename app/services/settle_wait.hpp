#pragma once
// How a request waits for a worker: it polls the row the worker settles (an upload, a
// deleted file) until it is settled or the configured wait is over. Polling the database
// works with any number of api instances and needs no reply queue; the interval starts at
// 2 ms (a small upload commits in a few) and grows by half each time up to 200 ms, so a
// waiting request costs at most five cheap queries a second once the wait is long.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <chrono>

namespace kemas::app {

// Awaits `settled()` (an awaitable<bool> factory) until it yields true or `wait` has
// passed. True when settled. A zero wait checks once.
template <class Check>
boost::asio::awaitable<bool> wait_until_settled(std::chrono::milliseconds wait, Check settled) {
  using clock = std::chrono::steady_clock;
  const auto deadline = clock::now() + wait;
  auto interval = std::chrono::microseconds(2000);
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
  for (;;) {
    const bool done = co_await settled();
    if (done)
      co_return true;
    const auto now = clock::now();
    if (now >= deadline)
      co_return false;
    timer.expires_at(std::min(deadline, now + interval));
    co_await timer.async_wait(boost::asio::use_awaitable);
    interval = std::min(interval * 3 / 2, std::chrono::microseconds(200'000));
  }
}

}  // namespace kemas::app
