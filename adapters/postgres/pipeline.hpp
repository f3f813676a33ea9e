#pragma once
// pg_pipeline: the api's hottest reads without a thread hand-off. A few connections of its
// own run libpq in non-blocking pipeline mode, driven by the I/O loop: the statements
// submitted during one turn of a connection's strand go out together behind one sync point
// (each prepared first where the connection has not seen it), their callers' coroutines
// wait, and each answer is matched to its caller in order as the server sends it. Callers share the connections, so the server reads their
// statements in batches and nothing blocks. Through pg_pool each call woke a pool thread,
// which blocked in poll() and woke the caller's loop back: most of the api's cost per file
// list (bench/list_ratio.sh, measured in bench/README.md).
//
// Contract:
//  - execute() may be called from any thread; the awaiting coroutine resumes on its own
//    executor. A failing statement fails alone: the others of its batch, which the server
//    then skips, are sent again (at most 3 times in all).
//  - Only single statements that need no transaction belong here: reads, and one-statement
//    writes marked `alone` (prepared.hpp), which go behind a sync point of their own: their
//    answer comes once their implicit transaction committed. (A batch is one implicit
//    transaction: a write beside a failing statement would be rolled back after answering.)
//  - Failures throw, as pg_pool's do (map them with repositories/query.hpp):
//    pg_connection_error when there is no connection (connecting failed within
//    connect_timeout; after a failure the next attempt waits `reconnect_delay`, and
//    statements meanwhile fail at once rather than queue), when it broke with the statement
//    in flight, or when the server did not answer within statement_timeout + 5 s (the
//    connection is then closed and all its statements fail); pg_sql_error with the SQLSTATE
//    when the statement failed.
//  - Statements in flight are bounded by the callers: each HTTP request awaits at most one,
//    and http.max_connections bounds the requests.
//  - Connecting (libpq's connect resolves names and blocks) runs on a thread of its own.
//  - stop() fails what is in flight, closes the connections and joins the connect thread;
//    the destructor calls it. Call it before the io_context is destroyed.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "adapters/config/settings.hpp"
#include "domain/non_copyable.hpp"

namespace boost::asio {
class io_context;
}

namespace kemas::postgres {

struct prepared_statement;
class prepared_rows;

class pg_pipeline : kemas::non_copyable {
 public:
  // Connects nothing yet. `ioc` runs the connections' I/O (each on a strand of it).
  pg_pipeline(boost::asio::io_context& ioc, const config::postgres_settings& settings,
              std::string application_name,
              std::chrono::milliseconds reconnect_delay = std::chrono::seconds(1));
  // The connections spread over `loops` in turn (the api's I/O loops, app/server/io_loops),
  // and a caller is served by a connection on its own loop where there is one: give
  // read_connections as a multiple of the loops. `loops` must not be empty and must outlive
  // the pipeline.
  pg_pipeline(std::vector<boost::asio::io_context*> loops,
              const config::postgres_settings& settings, std::string application_name,
              std::chrono::milliseconds reconnect_delay = std::chrono::seconds(1));
  ~pg_pipeline();

  // `statement` must outlive the call (the repositories' are static).
  boost::asio::awaitable<prepared_rows> execute(const prepared_statement& statement,
                                                std::vector<std::optional<std::string>> parameters);

  void stop();

  struct link;  // one connection; public only so pipeline.cpp's helpers can name it

 private:
  struct placed {
    boost::asio::io_context* loop;  // runs the connection's strand
    std::shared_ptr<link> connection;
  };
  std::shared_ptr<link> link_for(const boost::asio::any_io_executor& caller);

  std::vector<placed> links_;
  struct connector;
  std::unique_ptr<connector> connector_;
  std::atomic<unsigned> next_{0};
};

}  // namespace kemas::postgres
