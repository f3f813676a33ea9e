#pragma once
// What every kemas bench prints and measures the same way: the machine line (cores, load
// average, build kind) that makes a run's figures comparable, nearest-rank percentiles, and
// the result of a closed-loop load run. Header-only; benches are single translation units.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <fstream>
#include <stdexcept>
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

// main()'s frame: runs `run` and turns an exception into "<name>: what" on stderr and exit 2.
template <class Run>
int exit_code_of(const char* name, Run run) {
  try {
    return run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", name, e.what());
    return 2;
  }
}

// Reads "--name value" pairs: `take(name, value)` returns false for a name it does not know.
// A name without its value, or one `take` refuses, throws std::invalid_argument(usage).
template <class Take>
void read_options(int argc, char** argv, const char* usage, Take take) {
  for (int i = 1; i < argc; i += 2) {
    if (i + 1 >= argc || !take(std::string(argv[i]), std::string(argv[i + 1])))
      throw std::invalid_argument(usage);
  }
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

// `clients` threads running `one(client, sequence)` (true on success) back to back.
template <class One>
load_result run_load(unsigned clients, double seconds, One one) {
  std::vector<std::vector<double>> latencies(clients);
  std::vector<unsigned> errors(clients, 0);
  std::vector<std::thread> threads;
  const auto start = clock_type::now();
  const auto end = start + std::chrono::duration_cast<clock_type::duration>(
                               std::chrono::duration<double>(seconds));
  for (unsigned c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      for (unsigned i = 0; clock_type::now() < end; ++i) {
        const auto t = clock_type::now();
        if (one(c, i))
          latencies[c].push_back(seconds_since(t) * 1000);
        else
          ++errors[c];
      }
    });
  }
  for (auto& t : threads)
    t.join();
  load_result r;
  r.clients = clients;
  r.seconds = seconds_since(start);
  for (unsigned c = 0; c < clients; ++c) {
    r.ms.insert(r.ms.end(), latencies[c].begin(), latencies[c].end());
    r.errors += errors[c];
  }
  r.ok = static_cast<unsigned>(r.ms.size());
  return r;
}

}  // namespace kemas::bench
