#include "adapters/amqp/mailbox.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>
#include <stdexcept>

namespace kemas::amqp {

wakeup_fd::wakeup_fd() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (fd_ < 0)
    throw std::runtime_error("eventfd failed");
}

wakeup_fd::~wakeup_fd() {
  ::close(fd_);
}

void wakeup_fd::notify() noexcept {
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto written = ::write(fd_, &one, sizeof one);
}

void wakeup_fd::clear() noexcept {
  std::uint64_t value = 0;
  [[maybe_unused]] const auto read = ::read(fd_, &value, sizeof value);
}

void wait_for_activity(int socket_fd, int mail_fd, std::chrono::milliseconds timeout) noexcept {
  pollfd fds[2] = {{mail_fd, POLLIN, 0}, {socket_fd, POLLIN, 0}};
  const nfds_t count = socket_fd >= 0 ? 2 : 1;
  const auto ms = timeout.count() < 0 ? 0 : timeout.count();
  ::poll(fds, count, static_cast<int>(ms));
}

}  // namespace kemas::amqp
