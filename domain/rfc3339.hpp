#pragma once
// RFC 3339 timestamps as the envelope and our headers write them:
// "2024-05-01T12:34:56.789Z" (UTC, milliseconds). The parser also accepts other offsets
// ("+07:00"), no fraction, and up to 9 fraction digits (truncated to milliseconds).

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace kemas {

using millis_time = std::chrono::sys_time<std::chrono::milliseconds>;

std::string format_rfc3339(millis_time time);
std::optional<millis_time> parse_rfc3339(std::string_view text) noexcept;

}  // namespace kemas
