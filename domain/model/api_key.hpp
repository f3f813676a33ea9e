#pragma once
// A developer's API key: "kms_<prefix>_<secret>" (domain/credentials.hpp). Only the prefix
// (unique, for lookup) and SHA-256 of the secret are kept; the key acts as its user limited
// to its scopes. secret_hash is for the constant-time check only: never rendered.

#include <chrono>
#include <optional>
#include <string>

#include "domain/rfc3339.hpp"
#include "domain/scope.hpp"
#include "domain/uuid.hpp"

namespace kemas::model {

struct api_key {
  uuid id;
  uuid user_id;
  std::string name;
  std::string prefix;       // public part of the key: 12 lower-hex characters
  std::string secret_hash;  // SHA-256(secret) hex; secret
  scope_set scopes;
  timestamp created_at{};
  std::optional<timestamp> last_used_at;
  std::optional<timestamp> expires_at;  // nullopt: never expires
  std::optional<timestamp> revoked_at;  // set: refused from then on
};

// last_used_at is kept to the minute: a busy key would otherwise cost a write, and a
// statement, on every request it authenticates.
inline constexpr std::chrono::minutes key_use_resolution{1};

// True when a request at `now` should record the key's use (never, or a minute or more ago).
inline bool key_use_worth_recording(const api_key& key, timestamp now) {
  return !key.last_used_at || now - *key.last_used_at >= key_use_resolution;
}

}  // namespace kemas::model
