#include "test/support/eventually.hpp"

#include <thread>

namespace kemas::test {

bool eventually(const std::function<bool()>& done, std::chrono::milliseconds limit,
                std::chrono::milliseconds interval) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(interval);  // the poll interval of this deadline loop
  }
  return done();
}

}  // namespace kemas::test
