#pragma once
// reset_tokens: single-use password-reset tokens (step 2).
//
//   kemas:pwreset:{sha256 hex of the token} -> user uuid, TTL auth.password_reset_ttl
//
// The token (43 characters of base64url, 32 random bytes) goes to the user by e-mail and is
// never stored; consume() takes it with GETDEL, so of two concurrent confirmations exactly
// one gets the user. Issuing a new token leaves earlier unexpired ones valid.
//
// Threading and lifetime: may be shared by all threads; `redis` must outlive the object and
// every call in flight.
// Errors: values — Redis unreachable gives errc::backend_unavailable "redis is
// unavailable"; an unexpected reply errc::internal. std::bad_alloc, and std::runtime_error
// if the CSPRNG fails, may escape.

#include <chrono>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "adapters/config/settings.hpp"
#include "domain/ports/reset_tokens.hpp"
#include "domain/result.hpp"
#include "domain/uuid.hpp"

namespace kemas::redis {

class redis_client;

class reset_tokens final : public ports::reset_tokens {
 public:
  // Uses auth.password_reset_ttl (at least 1 ms).
  reset_tokens(redis_client& redis, const config::auth_settings& auth);

  // A new token for the user, valid for password_reset_ttl.
  boost::asio::awaitable<result<std::string>> issue(uuid user_id) override;
  // The token's user, once: nullopt when the token is malformed (no Redis call), unknown,
  // expired or already used.
  boost::asio::awaitable<result<std::optional<uuid>>> consume(std::string token) override;

  std::chrono::milliseconds ttl() const noexcept override { return ttl_; }

 private:
  redis_client& redis_;
  std::chrono::milliseconds ttl_;
};

}  // namespace kemas::redis
