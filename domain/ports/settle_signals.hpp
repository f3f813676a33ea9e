#pragma once
// settle_signals: how a request that waits for a worker (an upload's commit or rejection, a
// file's deletion) learns that the worker settled the row, without polling the database. A
// signal is a hint, not the state: the waiter reads the row once signalled, and at its
// deadline. While the signals are not live (their connection is being re-made) waiters poll
// instead. Implemented by adapters/postgres/settle_listener (LISTEN on a channel the worker's
// transaction NOTIFYs at its commit; every api instance hears every signal, so any number of
// api and worker processes work together) and in memory.

#include <chrono>
#include <memory>

#include "domain/ports/async.hpp"
#include "domain/uuid.hpp"

namespace kemas::ports {

class settle_subscription {
 public:
  virtual ~settle_subscription() = default;

  // Completes when the row was signalled since the subscription began (or since the last
  // wait that returned true), or after `limit`. True when signalled, and also when the
  // waiter should read again anyway (the signals were re-connected and one may be lost).
  virtual async<bool> wait(std::chrono::milliseconds limit) = 0;
};

class settle_signals {
 public:
  virtual ~settle_signals() = default;

  // Subscribe to the row `id` before sending the command whose outcome is awaited: signals
  // are kept from then on. Destroying the subscription ends it. Thread-safe.
  virtual std::unique_ptr<settle_subscription> subscribe(const uuid& id) = 0;

  // True while signals are delivered. Thread-safe.
  virtual bool live() const noexcept = 0;
};

}  // namespace kemas::ports
