#pragma once
// A user account: who they are, their role, and the plan that sets their storage.
// password_hash is for the login check only: never rendered, never logged.

#include <cstdint>
#include <optional>
#include <string>

#include "domain/account.hpp"
#include "domain/rfc3339.hpp"
#include "domain/uuid.hpp"

namespace kemas::model {

struct user {
  uuid id;
  std::string email;  // as the user typed it; unique case-insensitively
  std::string username;
  std::string password_hash;  // Argon2id PHC string; secret
  kemas::role role = role::user;
  std::string plan;  // the plan's name: "free", "premium", ...
  std::optional<timestamp> plan_expires_at;
  std::int64_t used_bytes = 0;
  bool disabled = false;
  timestamp created_at{};
};

}  // namespace kemas::model
