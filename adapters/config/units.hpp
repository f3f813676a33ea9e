#pragma once
// Parsing and printing of the units used in conf/kemas.toml and KEMAS_* variables.
// Pure functions, no I/O, no exceptions: a value that does not parse yields std::nullopt and
// the caller names the key in its error.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kemas::config {

// Durations: one or more <digits><unit> groups, unit one of ms, s, m, h, d ("250ms", "10s",
// "5m", "2h", "7d", "1h30m"). A unit is required: a bare "10" is ambiguous and refused.
// Negative values, fractions, spaces and overflow are refused.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

// Sizes: a byte count with an optional unit: "512", "512B", "256KiB", "8MiB", "1GiB", "1TiB"
// (powers of 1024) or "100KB", "5MB", "1GB", "1TB" (powers of 1000). Unit letters are
// case-insensitive; one space between number and unit is allowed ("8 MiB"). Negative
// values, fractions and overflow are refused.
std::optional<std::uint64_t> parse_size(std::string_view text);

// The shortest exact rendering: 300000ms → "5m", 1500ms → "1500ms", 0 → "0s".
std::string format_duration(std::chrono::milliseconds value);

// Exact binary units when they fit: 262144 → "256KiB", 1000 → "1000B".
std::string format_size(std::uint64_t bytes);

}  // namespace kemas::config
