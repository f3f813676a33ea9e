#pragma once
// redis_client: the asynchronous Redis client (hiredis 0.14 driven by Boost.Asio).
//
//   kemas::redis::redis_client redis(ioc.get_executor(), settings.redis);
//   auto r = co_await redis.command({"SET", key, value, "PX", "60000"});
//   if (!r) { /* r.error(): Redis unavailable -> 503 */ }
//   else if (r->is_error()) { /* Redis refused this command: r->str() */ }
//
// Contract:
//  - One connection per executor given, each owned by a strand the client makes from that
//    executor; every hiredis call of a connection happens on its strand. The public functions may be called from any thread and
//    any coroutine; the awaiting coroutine resumes on its own executor (never inline in
//    hiredis). Commands are pipelined: many may be in flight, replies come back in order.
//  - Errors are values: see reply.hpp for redis_errc (backend unavailable) versus an error
//    reply (command refused). Nothing here throws for network or server trouble; only
//    std::bad_alloc and the like escape.
//  - Connects lazily on the first command and again on the first command after the
//    connection was lost; sends AUTH (if a password is set) and SELECT (if database != 0)
//    before anything else. Host names are resolved asynchronously. Connect failure
//    (refused, resolve error, AUTH/SELECT refused, or not connected within
//    settings.timeout) completes every waiting command with connect_failed at once.
//  - Timeouts: a command with no reply within its timeout (settings.timeout unless given)
//    completes with `timeout`; as replies are ordered, the connection is then unusable, so
//    it is dropped: other in-flight commands complete with connection_lost, and the next
//    command reconnects. Give blocking commands (BLPOP 5) a timeout longer than their block.
//  - A command is never retried by the client: after timeout or connection_lost it may or
//    may not have run on the server.
//  - close() (also run by the destructor): in-flight and later commands complete with
//    `closed`; the connection is freed on the strand. The client must be destroyed before
//    its execution context. The awaitables returned here hold the internals, not the
//    client: destroying the client while commands wait (or before a returned awaitable is
//    started) is safe — they complete with `closed`. Arguments are copied at the call.
//  - Not supported: SUBSCRIBE/MONITOR (replies would not be one per command), RESP3, TLS.
//    Cancelling the awaiting coroutine does not abort the command (it ends by its timeout).
//  - hiredis writes with write(2): the constructor makes the process ignore SIGPIPE if
//    nobody installed a handler, so a peer reset is an error value, not a dead process.

#include "adapters/config/settings.hpp"
#include "adapters/redis/reply.hpp"
#include "adapters/redis/script.hpp"
#include "domain/non_copyable.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace kemas::redis {

class redis_client : kemas::non_copyable {
 public:
  // Does not connect. `executor` is where the client's strand lives: an io_context's own
  // executor (not a strand or another wrapper); std::invalid_argument otherwise.
  redis_client(boost::asio::any_io_executor executor, config::redis_settings settings);
  // One connection per executor (the api's I/O loops, app/server/io_loops): a command goes
  // out on the connection of the caller's own loop, so neither it nor its reply crosses
  // threads; a caller on no such loop uses them in turn. Must not be empty
  // (std::invalid_argument), and each as above.
  redis_client(const std::vector<boost::asio::any_io_executor>& executors,
               config::redis_settings settings);
  ~redis_client();

  // Sends one command; args are binary-safe (embedded NULs are fine). An empty args, or a
  // pub/sub or MONITOR command, completes with invalid_command without being sent.
  boost::asio::awaitable<redis_result> command(std::vector<std::string> args);
  boost::asio::awaitable<redis_result> command(std::vector<std::string> args,
                                               std::chrono::milliseconds timeout);

  // True when Redis answered PONG; false on any failure. For health checks; the second
  // form bounds the wait (e.g. a short /readyz probe) instead of settings.timeout.
  boost::asio::awaitable<bool> ping();
  boost::asio::awaitable<bool> ping(std::chrono::milliseconds timeout);

  // EVALSHA, or EVAL when the server does not have the script cached (NOSCRIPT).
  boost::asio::awaitable<redis_result> eval(const redis_script& script,
                                            std::vector<std::string> keys,
                                            std::vector<std::string> args);
  boost::asio::awaitable<redis_result> eval(std::string_view script,
                                            std::vector<std::string> keys,
                                            std::vector<std::string> args);

  // Idempotent, thread-safe, does not wait.
  void close();

  const config::redis_settings& settings() const noexcept;

  class impl;         // one connection: adapters/redis/client_impl.hpp
  struct connections;  // adapters/redis/client.cpp

 private:
  std::shared_ptr<connections> connections_;
};

}  // namespace kemas::redis
