#pragma once
// RFC 3339 timestamps as the envelope and our headers write them:
// "2024-05-01T12:34:56.789Z" (UTC, milliseconds). The parser also accepts other offsets
// ("+07:00"), no fraction, and up to 9 fraction digits (truncated to milliseconds).

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace kemas {

// The one time type of kemas: UTC, millisecond precision (what the envelope, events, records
// and tokens carry).
using timestamp = std::chrono::sys_time<std::chrono::milliseconds>;

std::string format_rfc3339(timestamp time);
std::optional<timestamp> parse_rfc3339(std::string_view text) noexcept;

}  // namespace kemas
