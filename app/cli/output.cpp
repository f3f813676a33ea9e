#include "output.hpp"

#include <boost/json/serialize.hpp>

#include <unistd.h>

#include <cstdio>
#include <iostream>

namespace kemas::cli {

std::string human_size(std::uint64_t bytes) {
  static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.1f %s", value, units[unit]);
  return text;
}

void print_json(const boost::json::value& v) { std::cout << boost::json::serialize(v) << "\n"; }

void print_error(const std::string& message) { std::cerr << "kemas: " << message << "\n"; }

progress_bar::progress_bar(std::string label, bool enabled)
    : label_(std::move(label)), enabled_(enabled && ::isatty(STDERR_FILENO) != 0) {}

progress_bar::~progress_bar() { finish(); }

void progress_bar::update(std::uint64_t done, std::uint64_t total) {
  if (!enabled_ || total == 0)
    return;
  const auto now = std::chrono::steady_clock::now();
  if (done < total && now - last_draw_ < std::chrono::milliseconds(100))
    return;
  last_draw_ = now;
  constexpr int width = 30;
  const double fraction = static_cast<double>(done) / static_cast<double>(total);
  const int filled = static_cast<int>(fraction * width);
  const double seconds = std::chrono::duration<double>(now - started_).count();
  const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;
  std::string bar(static_cast<std::size_t>(filled), '#');
  bar.resize(width, '-');
  std::fprintf(stderr, "\r%-24.24s [%s] %3d%% %10s %10s/s", label_.c_str(), bar.c_str(),
               static_cast<int>(fraction * 100), human_size(done).c_str(),
               human_size(static_cast<std::uint64_t>(rate)).c_str());
  drawn_ = true;
}

void progress_bar::finish() {
  if (drawn_)
    std::fputc('\n', stderr);
  drawn_ = false;
}

}  // namespace kemas::cli
