#pragma once
// X-Request-Id: a client's id is kept when it is sane (so ids can be followed across
// systems), else a fresh one is generated. Sane: 1..128 characters of [A-Za-z0-9._:-].

#include <optional>
#include <string>
#include <string_view>

namespace kemas::http {

bool is_sane_request_id(std::string_view id) noexcept;
std::string new_request_id();
std::string request_id_for(std::optional<std::string_view> from_client);

}  // namespace kemas::http
