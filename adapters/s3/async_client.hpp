#pragma once
// s3_service: s3_client for coroutines. It owns a blocking_pool of settings.threads
// threads; each awaitable runs the blocking call there and resumes the caller on its own
// executor, so Asio I/O threads never wait on S3. Downloads, which last as long as their
// HTTP client reads, do not use the pool: they run on the transfer_engine (curl's multi
// interface on one event-loop thread), so a slow reader holds a socket, not a thread.
//
// Lifetime: the service must outlive every operation started on it; its destructor waits
// for running transfers to finish. Thread-safe: any number of coroutines may await it at
// once (at most settings.threads transfers run in parallel; the rest queue).

#include "adapters/config/settings.hpp"
#include "adapters/s3/client.hpp"
#include "adapters/s3/transfer_engine.hpp"
#include "adapters/support/blocking_pool.hpp"
#include "domain/non_copyable.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <string>

namespace kemas::s3 {

class s3_service : kemas::non_copyable {
 public:
  explicit s3_service(const config::s3_settings& settings);

  // Readiness probe for /readyz: true when the store answers a signed HEAD (of a key that
  // does not exist) within `timeout`.
  // Never throws for S3 faults.
  boost::asio::awaitable<bool> ready(std::chrono::milliseconds timeout = std::chrono::seconds(2));
  // The same probe with the reason when it fails.
  boost::asio::awaitable<s3_result<void>> check(
      std::chrono::milliseconds timeout = std::chrono::seconds(2));

  // Any blocking client call on the pool: co_await service.run([&](s3_client& c) { ... }).
  // The function runs on a pool thread; references it captures must outlive the await.
  template <class F>
  auto run(F fn) {
    return pool_.run([this, f = std::move(fn)]() mutable { return f(client_); });
  }

  s3_client& client() noexcept { return client_; }
  transfer_engine& engine() noexcept { return engine_; }

 private:
  s3_client client_;
  transfer_engine engine_;
  support::blocking_pool pool_;  // declared last: joined first, while client_ still lives
};

}  // namespace kemas::s3
