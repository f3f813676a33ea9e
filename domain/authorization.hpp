#pragma once
// The one authorization layer: every route declares an access_rule, and authorize() decides.
// Handlers never check roles or scopes themselves.

#include <optional>

#include "domain/principal.hpp"
#include "domain/result.hpp"

namespace kemas {

struct access_rule {
  bool public_route = false;              // no credentials needed (register, login, plans)
  kemas::role minimum_role = role::user;  // user < developer < admin
  bool api_keys_allowed = false;          // may an API key reach this route at all?
  std::optional<scope> required_scope;    // what the API key must hold (when allowed)

  static access_rule anyone() { return access_rule{true, role::user, false, std::nullopt}; }
  static access_rule signed_in() { return access_rule{}; }
  static access_rule with_scope(scope s) { return access_rule{false, role::user, true, s}; }
  static access_rule at_least(kemas::role r) { return access_rule{false, r, false, std::nullopt}; }
};

// Decides for an authenticated principal: forbidden when the role is too low, when an API
// key reaches a route that does not take keys (key management, admin), or when the key lacks
// the required scope.
result<void> authorize(const principal& who, const access_rule& rule);

}  // namespace kemas
