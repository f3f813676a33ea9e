#pragma once
// child_process: runs a binary (e.g. build/workers/kemas-worker) for a test — with extra
// environment variables, its stdout/stderr captured to files — and lets the test signal it
// and wait for it with a deadline. The destructor SIGKILLs and reaps a child still running, so
// a failing test never leaves one behind.
//
// Threading: one test thread owns an instance. Throws std::runtime_error if spawning fails.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <sys/types.h>

#include "domain/non_copyable.hpp"

namespace kemas::test {

class child_process : kemas::non_copyable {
 public:
  struct options {
    std::string program;                                   // path to the executable
    std::vector<std::string> args;                         // without argv[0]
    std::vector<std::pair<std::string, std::string>> env;  // added to / overriding ours
    std::string stdout_path;                               // "" = inherit
    std::string stderr_path;                               // "" = inherit
  };

  explicit child_process(options opts);
  ~child_process();

  pid_t pid() const noexcept { return pid_; }
  void signal(int signal_number);
  bool running();

  // The exit status (exit code, or 128 + signal number when a signal ended it), or nullopt
  // when the child still runs after `timeout`.
  std::optional<int> wait_for(std::chrono::milliseconds timeout);

  // Everything the child wrote to stderr_path so far ("" without a file).
  std::string stderr_text() const;
  // Polls stderr_path until it contains `needle` or the time runs out.
  bool wait_for_stderr(std::string_view needle, std::chrono::milliseconds timeout) const;

 private:
  options options_;
  pid_t pid_ = -1;
  std::optional<int> status_;
};

}  // namespace kemas::test
