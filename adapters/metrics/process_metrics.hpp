#pragma once
// The standard process_* families every Prometheus client library exports (CPU time, memory,
// open files, start time), read from /proc/self at each scrape. prometheus-cpp has no such
// collector; the names and meanings follow the client libraries' convention, so the usual
// dashboards and alerts work on kemas processes too.

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace prometheus {
struct MetricFamily;
}

namespace kemas::metrics {

// The fields of /proc/<pid>/stat kemas reports, in the kernel's units.
struct proc_stat {
  std::uint64_t user_ticks = 0;    // utime, clock ticks
  std::uint64_t system_ticks = 0;  // stime, clock ticks
  std::uint64_t start_ticks = 0;   // starttime, clock ticks after boot
  std::uint64_t virtual_bytes = 0;
  std::uint64_t resident_pages = 0;
};

// Parses one /proc/<pid>/stat line. The command name (field 2) may hold spaces and
// parentheses, so fields are counted from its LAST ')'. nullopt for anything malformed.
std::optional<proc_stat> parse_proc_stat(std::string_view line) noexcept;

// process_cpu_seconds_total, process_resident_memory_bytes, process_virtual_memory_bytes,
// process_start_time_seconds, process_open_fds, process_max_fds. Families whose source cannot
// be read are left out (never a made-up value).
std::vector<prometheus::MetricFamily> process_families();

}  // namespace kemas::metrics
