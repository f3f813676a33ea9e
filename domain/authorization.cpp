#include "domain/authorization.hpp"

namespace kemas {
namespace {
int rank(role r) noexcept {
  switch (r) {
    case role::user:
      return 0;
    case role::developer:
      return 1;
    case role::admin:
      return 2;
  }
  return 0;
}
}  // namespace

result<void> authorize(const principal& who, const access_rule& rule) {
  if (rule.public_route)
    return {};
  if (who.credential == principal::via::api_key) {
    if (!rule.api_keys_allowed)
      return make_error(errc::forbidden, "API keys cannot be used on this route");
    if (rule.required_scope && !who.scopes.contains(*rule.required_scope)) {
      return make_error(errc::forbidden,
                        "API key lacks scope " + std::string(scope_name(*rule.required_scope)));
    }
  }
  if (rank(who.role) < rank(rule.minimum_role)) {
    return make_error(errc::forbidden,
                      "requires role " + std::string(role_name(rule.minimum_role)));
  }
  return {};
}

}  // namespace kemas
