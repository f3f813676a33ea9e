#pragma once
// principal: who is making a request, as established by authentication — a user through a
// session (Bearer access token or cookie) or through an API key limited to its scopes.

#include <optional>
#include <string>

#include "domain/account.hpp"
#include "domain/scope.hpp"
#include "domain/uuid.hpp"

namespace kemas {

struct principal {
  enum class via { session, api_key };

  uuid user_id;
  kemas::role role = role::user;
  via credential = via::session;
  std::string session_id;          // via::session
  std::optional<uuid> api_key_id;  // via::api_key
  scope_set scopes;                // via::api_key: what the key may do
};

}  // namespace kemas
