#include "app/server/io_loops.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <optional>

namespace kemas::http {
namespace asio = boost::asio;

struct io_loops::loop {
  // Hint 1: exactly one thread runs it (posts from other threads stay safe).
  asio::io_context context{1};
  // Keeps run() going while the loop has no connection.
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work{
      context.get_executor()};
};

io_loops::io_loops(asio::io_context& main, unsigned count) : main_(main) {
  for (unsigned i = 1; i < count; ++i)
    own_.push_back(std::make_unique<loop>());
}

io_loops::~io_loops() {
  stop();
}

unsigned io_loops::size() const noexcept {
  return static_cast<unsigned>(own_.size()) + 1;
}

std::vector<asio::io_context*> io_loops::contexts() {
  std::vector<asio::io_context*> all{&main_};
  for (auto& l : own_)
    all.push_back(&l->context);
  return all;
}

asio::any_io_executor io_loops::next_executor() {
  const unsigned i = next_.fetch_add(1, std::memory_order_relaxed) % size();
  if (i == 0)
    return main_.get_executor();  // run by one thread too (see the header)
  return own_[i - 1]->context.get_executor();
}

void io_loops::start() {
  for (auto& l : own_)
    threads_.emplace_back([&context = l->context] { context.run(); });
}

void io_loops::stop() {
  for (auto& l : own_) {
    l->work.reset();
    l->context.stop();
  }
  for (auto& t : threads_)
    t.join();
  threads_.clear();
}

}  // namespace kemas::http
