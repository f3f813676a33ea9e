#pragma once
// settle_registry: the waiting side of settle_signals (domain/ports/settle_signals.hpp) that
// any signal source shares: subscriptions by row id, woken from any thread. A source (the
// PostgreSQL listener's thread, an in-memory store in unit tests) calls signal(id) for each
// settled row and signal_all() when it may have missed some.
//
// Memory: one entry per live subscription (a waiting request), removed with it; a signal for
// an id nobody waits for costs a map lookup and nothing else.

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "domain/ports/settle_signals.hpp"
#include "domain/non_copyable.hpp"

namespace kemas::support {

class settle_registry : kemas::non_copyable {
 public:
  settle_registry();
  ~settle_registry();

  // A subscription that stays valid after the registry is gone (it then never wakes early).
  std::unique_ptr<ports::settle_subscription> subscribe(const uuid& id);

  // Wakes the subscriptions of `id` (its canonical text). Thread-safe.
  void signal(std::string_view id);
  // Wakes every subscription. Thread-safe.
  void signal_all();

  struct slot;  // one subscription's flag and wake-up channel

 private:
  struct table {
    std::mutex mutex;
    std::unordered_multimap<std::string, std::shared_ptr<slot>> waiting;
  };
  std::shared_ptr<table> table_;
};

}  // namespace kemas::support
