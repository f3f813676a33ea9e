#include "domain/model/share_link.hpp"

namespace kemas::model {

share_state state_of(const share_link& link, timestamp now) noexcept {
  if (link.revoked_at)
    return share_state::revoked;
  if (link.expires_at <= now)
    return share_state::expired;
  if (link.max_downloads && link.downloads >= *link.max_downloads)
    return share_state::used_up;
  return share_state::active;
}

std::string_view to_string(share_state state) noexcept {
  switch (state) {
    case share_state::active:
      return "active";
    case share_state::expired:
      return "expired";
    case share_state::revoked:
      return "revoked";
    case share_state::used_up:
      return "used_up";
  }
  return "active";
}

}  // namespace kemas::model
