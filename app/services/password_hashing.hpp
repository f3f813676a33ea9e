#pragma once
// password_hashing: Argon2id hashing and checking (adapters/crypto/password_hasher.hpp) on
// the hash threads, with a bounded queue shared by every caller — account passwords and share
// link passwords alike. Beyond auth.hash_threads + auth.hash_queue hashes running or waiting,
// a call is refused at once: backend_unavailable with retry_after_ms 1000, so a flood of
// guesses cannot grow the queue (or memory) without end.
//
// Threading: awaitables on the caller's executor; the work runs on `pool`, which must outlive
// this object. Thread-safe.

#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <optional>
#include <string>

#include "adapters/config/settings.hpp"
#include "adapters/crypto/password_hasher.hpp"
#include "domain/result.hpp"

namespace kemas::support {
class blocking_pool;
}

namespace kemas::app {

class password_hashing {
 public:
  password_hashing(const config::auth_settings& auth, support::blocking_pool& pool);

  boost::asio::awaitable<result<std::string>> hash(std::string password);
  // True when `password` matches `encoded` (false for a malformed encoding).
  boost::asio::awaitable<result<bool>> verify(std::string password, std::string encoded);
  // Computes the hash an unknown account's login verifies against (call once at start).
  boost::asio::awaitable<void> warm_up();

  const crypto::argon2_params& params() const noexcept { return params_; }

 private:
  std::optional<error> take_place();

  crypto::argon2_params params_;
  support::blocking_pool& pool_;
  unsigned capacity_;
  std::atomic<unsigned> in_use_{0};  // running or waiting on pool_
};

}  // namespace kemas::app
