#include "app/server/request_id.hpp"

#include <algorithm>

#include "adapters/support/random.hpp"

namespace kemas::http {

bool is_sane_request_id(std::string_view id) noexcept {
  if (id.empty() || id.size() > 128)
    return false;
  return std::ranges::all_of(id, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == ':' || c == '-';
  });
}

std::string new_request_id() {
  return support::random_uuid().to_string();
}

std::string request_id_for(std::optional<std::string_view> from_client) {
  if (from_client && is_sane_request_id(*from_client))
    return std::string(*from_client);
  return new_request_id();
}

}  // namespace kemas::http
