#include "test/support/child_process.hpp"

#include "test/support/eventually.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace kemas::test {
namespace {

int decode_status(int status) {
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  if (WIFSIGNALED(status))
    return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

child_process::child_process(options opts) : options_(std::move(opts)) {
  std::map<std::string, std::string> env;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    std::string_view text(*entry);
    const auto eq = text.find('=');
    if (eq != std::string_view::npos)
      env[std::string(text.substr(0, eq))] = text.substr(eq + 1);
  }
  for (const auto& [key, value] : options_.env)
    env[key] = value;
  std::vector<std::string> env_strings;
  for (const auto& [key, value] : env)
    env_strings.push_back(key + "=" + value);
  std::vector<char*> envp;
  for (auto& s : env_strings)
    envp.push_back(s.data());
  envp.push_back(nullptr);

  std::vector<std::string> arg_strings{options_.program};
  arg_strings.insert(arg_strings.end(), options_.args.begin(), options_.args.end());
  std::vector<char*> argv;
  for (auto& s : arg_strings)
    argv.push_back(s.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (!options_.stdout_path.empty()) {
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, options_.stdout_path.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
  }
  if (!options_.stderr_path.empty()) {
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, options_.stderr_path.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
  }
  // The child starts with an empty signal mask and default handlers, whatever the test
  // process blocked.
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attributes, &none);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGTERM);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  const int error =
      posix_spawn(&pid_, options_.program.c_str(), &actions, &attributes, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (error != 0) {
    pid_ = -1;
    throw std::runtime_error("cannot start " + options_.program + ": " + std::strerror(error));
  }
}

child_process::~child_process() {
  if (pid_ > 0 && !status_) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
}

void child_process::signal(int signal_number) {
  if (pid_ > 0 && !status_)
    ::kill(pid_, signal_number);
}

bool child_process::running() {
  return !wait_for(std::chrono::milliseconds::zero());
}

std::optional<int> child_process::wait_for(std::chrono::milliseconds timeout) {
  if (status_)
    return status_;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int pidfd = -1;  // opened only when there is time to wait (running() waits none)
  for (;;) {
    int status = 0;
    const pid_t done = ::waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      status_ = decode_status(status);
      break;
    }
    const int error = errno;
    if (done < 0 && error != EINTR) {
      if (pidfd >= 0)
        ::close(pidfd);
      throw std::runtime_error(std::string("waitpid: ") + std::strerror(error));
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      break;
    // A pidfd turns readable when the child exits: poll() wakes at the exit, not on a timer.
    // By syscall: glibc 2.36's <sys/pidfd.h> lacks extern "C", so C++ cannot link its wrapper.
    if (pidfd < 0)
      pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
    if (pidfd < 0)
      throw std::runtime_error(std::string("pidfd_open: ") + std::strerror(errno));
    pollfd exited{pidfd, POLLIN, 0};
    ::poll(&exited, 1, static_cast<int>(left.count()));  // EINTR or readiness: check again
  }
  if (pidfd >= 0)
    ::close(pidfd);
  return status_;
}

std::string child_process::stderr_text() const {
  if (options_.stderr_path.empty())
    return {};
  std::ifstream in(options_.stderr_path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

bool child_process::wait_for_stderr(std::string_view needle,
                                    std::chrono::milliseconds timeout) const {
  return eventually([&] { return stderr_text().find(needle) != std::string::npos; }, timeout);
}

}  // namespace kemas::test
