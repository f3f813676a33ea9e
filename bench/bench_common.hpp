#pragma once
// What every kemas bench prints and measures the same way: the machine line (cores, load
// average, build kind) that makes a run's figures comparable, nearest-rank percentiles, and
// the result of a closed-loop load run. Header-only; benches are single translation units.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace kemas::bench {

using clock_type = std::chrono::steady_clock;

inline double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}
inline double ms_since(clock_type::time_point start) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - start).count();
}

// Nearest-rank percentile of an unsorted sample (0 for an empty one).
inline double percentile(std::vector<double> sample, double p) {
  if (sample.empty())
    return 0;
  std::ranges::sort(sample);
  auto rank = static_cast<std::size_t>(p / 100.0 * static_cast<double>(sample.size()) + 0.999999);
  return sample[std::clamp<std::size_t>(rank, 1, sample.size()) - 1];
}

// "0.52 0.61 0.70": the 1, 5 and 15 minute load averages (/proc/loadavg).
inline std::string load_average() {
  std::ifstream file("/proc/loadavg");
  std::string one, five, fifteen;
  file >> one >> five >> fifteen;
  return one + " " + five + " " + fifteen;
}

// "kemas <name> bench: 2 cores, load average ..., optimized build".
inline void print_machine_line(const char* bench_name) {
#ifdef NDEBUG
  const char* build = "optimized";
#else
  const char* build = "debug (assertions on)";
#endif
  std::printf("kemas %s bench: %u cores, load average %s, %s build\n", bench_name,
              std::thread::hardware_concurrency(), load_average().c_str(), build);
}

// A closed-loop run: `clients` threads each doing one request after another.
struct load_result {
  unsigned clients = 0;
  unsigned ok = 0;
  unsigned errors = 0;
  double seconds = 0;
  std::vector<double> ms;  // per successful request
  double per_second() const { return ok / seconds; }
};

}  // namespace kemas::bench
