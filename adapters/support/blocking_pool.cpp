#include "adapters/support/blocking_pool.hpp"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace kemas::support {

blocking_pool::blocking_pool(unsigned threads, int nice) : work_(context_.get_executor()) {
  threads_.reserve(threads);
  for (unsigned i = 0; i < threads; ++i) {
    threads_.emplace_back([this, nice] {
      if (nice != 0) {
        // Linux applies PRIO_PROCESS with a thread id to that thread alone. Failure only
        // means the default priority: not worth stopping for.
        ::setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), nice);
      }
      context_.run();
    });
  }
}

void blocking_pool::stop() {
  work_.reset();  // run() returns once the queued work is done
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

}  // namespace kemas::support
