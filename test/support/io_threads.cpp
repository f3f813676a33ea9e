#include "test/support/io_threads.hpp"

namespace kemas::test {

io_threads::io_threads(unsigned threads) : work_(context_.get_executor()) {
  for (unsigned i = 0; i < threads; ++i)
    threads_.emplace_back([this] { context_.run(); });
}

io_threads::~io_threads() {
  work_.reset();  // run() returns once nothing is left to do
  for (auto& t : threads_)
    t.join();
}

}  // namespace kemas::test
