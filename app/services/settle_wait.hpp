#pragma once
// How a request waits for a worker (an upload's commit, a file's deletion): it subscribes to
// the row's settle signal before sending the command, then sleeps until the worker's commit
// signals it (domain/ports/settle_signals.hpp) and reads the row once. With live signals a
// waiting request costs one read when settled, and one at its deadline if not; no polling.
// While the signals are down (their connection being re-made) it polls the row instead,
// starting at 2 ms and growing by half up to 200 ms, still woken early by a signal.
// The command has been confirmed by the broker when a request waits here, so a read that
// fails (the database down meanwhile) is not an answer: it counts as "not settled yet" and
// the request answers "pending" (202) at its deadline, never 503 for an accepted command.

#include <boost/asio/awaitable.hpp>

#include <algorithm>
#include <chrono>

#include "domain/result.hpp"
#include "domain/ports/settle_signals.hpp"

namespace kemas::app {

// Awaits `settled()` (an awaitable<bool> factory, one read of the row) until it yields true
// or `wait` has passed. True when settled. A zero wait reads once.
template <class Check>
boost::asio::awaitable<bool> wait_until_settled(const ports::settle_signals& signals,
                                                ports::settle_subscription& subscription,
                                                std::chrono::milliseconds wait, Check settled) {
  using clock = std::chrono::steady_clock;
  using std::chrono::milliseconds;
  const auto deadline = clock::now() + wait;
  auto poll_interval = milliseconds(2);
  auto read = [&]() -> boost::asio::awaitable<bool> {
    try {
      co_return co_await settled();
    } catch (const backend_unavailable&) {
      co_return false;
    }
  };
  for (;;) {
    const auto now = clock::now();
    if (now >= deadline)
      co_return co_await read();
    const auto remaining = std::chrono::ceil<milliseconds>(deadline - now);
    if (signals.live()) {
      const bool woken = co_await subscription.wait(remaining);
      if (woken && co_await read())
        co_return true;
      continue;  // a wake-up to read again, or the deadline: the loop decides
    }
    if (co_await read())
      co_return true;
    co_await subscription.wait(std::min(poll_interval, remaining));
    poll_interval = std::min(poll_interval * 3 / 2 + milliseconds(1), milliseconds(200));
  }
}

}  // namespace kemas::app
