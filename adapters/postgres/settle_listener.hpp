#pragma once
// settle_listener: settle_signals (domain/ports/settle_signals.hpp) from PostgreSQL. One
// connection of its own, on a thread of its own, LISTENs on KEMAS_SETTLE_CHANNEL
// (settle_channel.hpp); each notification's payload is the id of a row a worker settled, and
// wakes the requests subscribed to it. PostgreSQL sends a notification only when the worker's
// transaction commits, to every listening session: any number of api processes each hear
// every settlement, and a request waits for no poll interval.
//
// The thread blocks in poll() on the connection's socket and a stop pipe, never an I/O
// thread. When the connection fails it is re-made with backoff (250 ms up to 5 s); live() is
// false meanwhile (waiters poll), and after each (re)connect every waiter is woken once to
// read again, since a settlement may have gone unheard. TCP keepalives find a peer that
// vanished without closing.

#include <memory>

#include "adapters/config/settings.hpp"
#include "domain/ports/settle_signals.hpp"
#include "domain/non_copyable.hpp"

namespace kemas::postgres {

class settle_listener final : public ports::settle_signals, kemas::non_copyable {
 public:
  // Starts the thread; connecting happens there (never throws for a server that is down).
  settle_listener(const config::postgres_settings& settings, std::string application_name);
  ~settle_listener() override;

  std::unique_ptr<ports::settle_subscription> subscribe(const uuid& id) override;
  bool live() const noexcept override;

  // Closes the connection and joins the thread; idempotent.
  void stop();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace kemas::postgres
