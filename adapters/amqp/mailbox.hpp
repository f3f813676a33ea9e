#pragma once
// The mailbox of an AMQP actor: any thread pushes, the actor thread takes everything at once.
// An eventfd makes pending mail visible to poll(), so the actor can sleep on its socket and
// its mailbox together (wait_for_activity) and react to either without a polling delay.

#include <chrono>
#include <deque>
#include <mutex>
#include <utility>

#include "domain/non_copyable.hpp"

namespace kemas::amqp {

// Linux eventfd; readable while notified and not yet cleared.
class wakeup_fd : kemas::non_copyable {
 public:
  wakeup_fd();
  ~wakeup_fd();

  void notify() noexcept;
  void clear() noexcept;
  int fd() const noexcept { return fd_; }

 private:
  int fd_;
};

// Blocks until `socket_fd` (ignored when < 0) is readable, `mail_fd` is readable, or
// `timeout` passes. Interrupted waits just return; callers re-check their state anyway.
void wait_for_activity(int socket_fd, int mail_fd, std::chrono::milliseconds timeout) noexcept;

template <class T>
class mailbox {
 public:
  // Thread-safe. Returns false, leaving `item` untouched, once the mailbox is closed.
  bool push(T&& item) {
    {
      std::lock_guard lock(mutex_);
      if (closed_)
        return false;
      items_.push_back(std::move(item));
    }
    wakeup_.notify();
    return true;
  }

  // Wakes the actor without mail (it re-checks its flags).
  void wake() noexcept { wakeup_.notify(); }

  // Actor thread: everything pushed so far, oldest first.
  std::deque<T> take_all() {
    wakeup_.clear();
    std::lock_guard lock(mutex_);
    return std::exchange(items_, {});
  }

  // Refuses further pushes; returns what was still queued.
  std::deque<T> close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
    return std::exchange(items_, {});
  }

  int fd() const noexcept { return wakeup_.fd(); }

 private:
  std::mutex mutex_;
  std::deque<T> items_;
  bool closed_ = false;
  wakeup_fd wakeup_;
};

}  // namespace kemas::amqp
