#pragma once
// The api's I/O threads as one event loop each, the way nginx runs its workers: a connection
// lives on one loop for its whole life, so its events never cross threads and the loops
// share no lock. (One io_context run by several threads wakes one thread for every event
// the other picked up; on 2 cores that cost a quarter of GET /healthz's throughput,
// bench/http_ratio.sh.)
//
// Loop 0 is the process's main io_context, which the caller runs on exactly one thread and
// which also carries the services' own I/O (RabbitMQ, the PostgreSQL and S3 completions)
// and the acceptor. Loops 1..count-1 are created here and each is run by exactly one thread
// of its own. One thread per loop is what lets connections go without a strand (a strand's
// lock and queue on every handler: measured a few percent of the file list's CPU).
// Thread-safety: next_executor() may be called from any thread; start() and stop() from
// one thread, once each.

#include <boost/asio/any_io_executor.hpp>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "domain/non_copyable.hpp"

namespace boost::asio {
class io_context;
}

namespace kemas::http {

class io_loops : kemas::non_copyable {
 public:
  io_loops(boost::asio::io_context& main, unsigned count);
  ~io_loops();

  // Where the next connection lives: the loops in turn.
  boost::asio::any_io_executor next_executor();
  unsigned size() const noexcept;
  // Every loop's io_context, the main one first: for backends that keep a connection on
  // each loop (api_application).
  std::vector<boost::asio::io_context*> contexts();

  // Runs loops 1..count-1, one thread each, until stop().
  void start();
  // Stops those loops (whatever they still run is dropped) and joins their threads.
  void stop();

 private:
  boost::asio::io_context& main_;
  struct loop;
  std::vector<std::unique_ptr<loop>> own_;
  std::vector<std::thread> threads_;
  std::atomic<unsigned> next_{0};
};

}  // namespace kemas::http
