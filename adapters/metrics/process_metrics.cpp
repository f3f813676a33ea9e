#include "adapters/metrics/process_metrics.hpp"

#include <prometheus/metric_family.h>

#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>

namespace kemas::metrics {
namespace {

std::string read_first_line(const char* path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

// btime of /proc/stat: the boot time, seconds since the epoch.
std::optional<std::uint64_t> boot_time_seconds() {
  std::ifstream in("/proc/stat");
  std::string key;
  std::uint64_t value = 0;
  while (in >> key) {
    if (key == "btime" && in >> value)
      return value;
    in.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  return std::nullopt;
}

prometheus::MetricFamily single(std::string name, std::string help, prometheus::MetricType type,
                                double value) {
  prometheus::ClientMetric sample;
  if (type == prometheus::MetricType::Counter)
    sample.counter.value = value;
  else
    sample.gauge.value = value;
  return {std::move(name), std::move(help), type, {sample}};
}

}  // namespace

std::optional<proc_stat> parse_proc_stat(std::string_view line) noexcept {
  const auto close = line.rfind(')');
  if (close == std::string_view::npos)
    return std::nullopt;
  // After "pid (comm)": field 3 (state) onwards, separated by single spaces.
  std::string_view rest = line.substr(close + 1);
  std::vector<std::string_view> fields;
  fields.reserve(24);
  while (!rest.empty() && fields.size() < 24) {
    while (!rest.empty() && rest.front() == ' ')
      rest.remove_prefix(1);
    const auto end = rest.find(' ');
    fields.push_back(rest.substr(0, end));
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end);
  }
  if (fields.size() < 22)
    return std::nullopt;
  // fields[0] is field 3 of proc(5): utime is 14, stime 15, starttime 22, vsize 23, rss 24.
  auto number = [&](std::size_t field, std::uint64_t& out) {
    const std::string_view text = fields[field - 3];
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc() && ptr == text.data() + text.size();
  };
  proc_stat s;
  if (!number(14, s.user_ticks) || !number(15, s.system_ticks) || !number(22, s.start_ticks) ||
      !number(23, s.virtual_bytes) || !number(24, s.resident_pages))
    return std::nullopt;
  return s;
}

std::vector<prometheus::MetricFamily> process_families() {
  using prometheus::MetricType;
  std::vector<prometheus::MetricFamily> out;
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(::sysconf(_SC_PAGESIZE));
  if (const auto stat = parse_proc_stat(read_first_line("/proc/self/stat")); stat && ticks > 0) {
    out.push_back(single("process_cpu_seconds_total", "User and system CPU time spent in seconds",
                         MetricType::Counter,
                         static_cast<double>(stat->user_ticks + stat->system_ticks) / ticks));
    out.push_back(single("process_resident_memory_bytes", "Resident memory size in bytes",
                         MetricType::Gauge, static_cast<double>(stat->resident_pages) * page));
    out.push_back(single("process_virtual_memory_bytes", "Virtual memory size in bytes",
                         MetricType::Gauge, static_cast<double>(stat->virtual_bytes)));
    if (const auto boot = boot_time_seconds())
      out.push_back(single("process_start_time_seconds",
                           "Start time of the process since unix epoch in seconds",
                           MetricType::Gauge,
                           static_cast<double>(*boot) +
                               static_cast<double>(stat->start_ticks) / ticks));
  }
  std::error_code ec;
  std::size_t open = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
    ++open;
  if (!ec)
    out.push_back(single("process_open_fds", "Number of open file descriptors", MetricType::Gauge,
                         static_cast<double>(open)));
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0)
    out.push_back(single("process_max_fds", "Maximum number of open file descriptors",
                         MetricType::Gauge, static_cast<double>(limit.rlim_cur)));
  return out;
}

}  // namespace kemas::metrics
