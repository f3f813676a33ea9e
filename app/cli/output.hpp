#pragma once
// What the terminal client prints: sizes for people, JSON for scripts (--json), and a
// progress bar on stderr when stderr is a terminal (never in --json mode, never into a pipe).

#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <string>

namespace kemas::cli {

std::string human_size(std::uint64_t bytes);
void print_json(const boost::json::value& v);  // one line on stdout
void print_error(const std::string& message);  // "kemas: ..." on stderr

class progress_bar {
 public:
  progress_bar(std::string label, bool enabled);
  ~progress_bar();
  void update(std::uint64_t done, std::uint64_t total);
  void finish();

 private:
  std::string label_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_draw_{};
};

}  // namespace kemas::cli
