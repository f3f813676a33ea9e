#include "app/services/password_hashing.hpp"

#include <algorithm>

#include "adapters/support/blocking_pool.hpp"

namespace kemas::app {
namespace asio = boost::asio;

namespace {

// Holds one place in the hashing queue for as long as it lives.
class place_ticket {
 public:
  explicit place_ticket(std::atomic<unsigned>& in_use) : in_use_(in_use) {}
  ~place_ticket() { in_use_.fetch_sub(1, std::memory_order_relaxed); }
  place_ticket(const place_ticket&) = delete;
  place_ticket& operator=(const place_ticket&) = delete;

 private:
  std::atomic<unsigned>& in_use_;
};

}  // namespace

password_hashing::password_hashing(const config::auth_settings& auth,
                                   support::blocking_pool& pool)
    : params_{auth.argon2_memory_kib, auth.argon2_iterations, auth.argon2_parallelism},
      pool_(pool),
      capacity_(std::max(auth.hash_threads, 1u) + auth.hash_queue) {}

std::optional<error> password_hashing::take_place() {
  if (in_use_.fetch_add(1, std::memory_order_relaxed) < capacity_)
    return std::nullopt;
  in_use_.fetch_sub(1, std::memory_order_relaxed);
  auto busy = make_error(errc::backend_unavailable, "too many password checks at once; try again");
  busy.retry_after_ms = 1000;
  return busy;
}

asio::awaitable<result<std::string>> password_hashing::hash(std::string password) {
  if (auto busy = take_place())
    co_return *busy;
  place_ticket ticket(in_use_);
  auto job = [password = std::move(password), params = params_] {
    return crypto::hash_password(password, params);
  };
  co_return co_await pool_.run(std::move(job));
}

asio::awaitable<result<bool>> password_hashing::verify(std::string password,
                                                       std::string encoded) {
  if (auto busy = take_place())
    co_return *busy;
  place_ticket ticket(in_use_);
  auto job = [password = std::move(password), encoded = std::move(encoded)] {
    return crypto::verify_password(password, encoded);
  };
  co_return co_await pool_.run(std::move(job));
}

asio::awaitable<void> password_hashing::warm_up() {
  auto job = [params = params_] { crypto::dummy_hash(params); };
  co_await pool_.run(std::move(job));
}

}  // namespace kemas::app
