#pragma once
// The configured rate-limit classes (DESIGN.md "Redis"; [ratelimit]): `auth` per client IP,
// `general` per user, `apikey` per key, `apikey_failure` (failed key lookups) per client IP.
// Client IPs are keyed by http::rate_limit_source (IPv6 by its /64).

#include <string>
#include <string_view>

#include "adapters/config/settings.hpp"
#include "domain/ports/request_gate.hpp"

namespace kemas::app {

// The spec of class `cls` for key `id`: "auth", "general", "apikey" or "apikey_failure" (else a spec
// with limit 0, which the gate refuses as invalid).
ports::limit_spec limit_for(std::string_view cls, std::string id,
                            const config::ratelimit_settings& settings);

}  // namespace kemas::app
