#pragma once
// reset_tokens: single-use password-reset tokens (auth.password_reset_ttl). Implemented by
// adapters/redis (reset_tokens) and in memory. Errors are values: the store unreachable is
// backend_unavailable.

#include <chrono>
#include <optional>
#include <string>

#include "domain/ports/async.hpp"
#include "domain/result.hpp"
#include "domain/uuid.hpp"

namespace kemas::ports {

class reset_tokens {
 public:
  virtual ~reset_tokens() = default;

  // A new token for the user, valid for ttl().
  virtual async<result<std::string>> issue(uuid user_id) = 0;
  // The token's user, once: nullopt when the token is malformed, unknown, expired or used.
  virtual async<result<std::optional<uuid>>> consume(std::string token) = 0;
  virtual std::chrono::milliseconds ttl() const noexcept = 0;
};

}  // namespace kemas::ports
