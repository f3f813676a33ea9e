#pragma once
// redis_client::impl: the state machine behind redis_client. Internal to adapters/redis.
//
// It is the actor that owns the connection: every member below is touched only on
// strand_. Public entry points (submit, close) post onto it.
//
// Invariant on pending_ (commands in the order they will be answered):
//  - link_ == nullptr: none of them has been sent; they wait for a connection;
//  - link_ != nullptr: all of them were sent on link_, in this order, and Redis answers
//    in this order, so a reply always belongs to pending_.front().
// Dropping a link fails everything in pending_, so the invariant holds again.
//
// Lifetime: shared_ptr; every handler the impl starts (timer, resolver, posted work)
// holds a reference, so it lives until the strand has nothing left for it.

#include "adapters/config/settings.hpp"
#include "adapters/redis/client.hpp"
#include "adapters/redis/hiredis_link.hpp"
#include "adapters/redis/reply.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

namespace kemas::redis {

namespace detail {

// Type-erased completion of one awaiting caller: complete() posts the result to the
// caller's executor (never runs it inline, so no caller code runs inside hiredis).
class waiter {
 public:
  virtual ~waiter() = default;
  virtual void complete(redis_result result) = 0;
};

}  // namespace detail

class redis_client::impl final : public detail::link_listener,
                                 public std::enable_shared_from_this<impl> {
 public:
  using clock = std::chrono::steady_clock;

  impl(boost::asio::any_io_executor executor, config::redis_settings settings);
  ~impl();

  // Any thread. Queues one command; `done` is completed exactly once.
  void submit(std::vector<std::string> args, std::chrono::milliseconds timeout,
              std::unique_ptr<detail::waiter> done);
  // Any thread.
  void close();

  const config::redis_settings& settings() const noexcept { return settings_; }
  detail::hiredis_link::executor_type strand() const { return strand_; }

 private:
  enum class op_kind { user, auth, select };

  struct pending_op {
    std::uint64_t tag = 0;
    op_kind kind = op_kind::user;
    std::vector<std::string> args;  // kept until answered: a connect may move to the next address
    clock::time_point deadline;
    std::unique_ptr<detail::waiter> done;  // nullptr for AUTH/SELECT
  };

  // link_listener (called on strand_, from inside hiredis)
  void on_link_connected(detail::hiredis_link& link) override;
  void on_link_down(detail::hiredis_link& link, std::string reason) override;
  void on_link_reply(detail::hiredis_link& link, std::uint64_t tag,
                     const redisReply* reply) override;

  void enqueue(pending_op op);
  void start_connect();
  void on_resolved(const boost::system::error_code& ec,
                   const boost::asio::ip::tcp::resolver::results_type& results);
  // Tries addresses_ from next_address_ on; all failed -> drop_link(connect_failed).
  void try_next_address(std::string last_error);
  // Creates link_ and sends the handshake and every pending command on it.
  bool open_link(const std::string& ip, std::string& error);
  // The current link failed: try the next address if it never connected, else drop it.
  void link_failed(std::string reason);
  // Forgets link_; its context is freed on a later strand turn.
  void retire_link();
  void strip_handshake();
  // Forgets the current link (freed later, outside hiredis; a resolve in progress is
  // abandoned) and fails every pending command: those past their deadline with
  // `expired_code`, the others with `other_code`.
  void drop_link(redis_errc expired_code, redis_errc other_code, const std::string& reason);
  void arm_timer(clock::time_point at);
  void on_timer(std::uint64_t generation);
  void note_failure(redis_errc code, const std::string& reason);
  void note_healthy();
  static void complete(pending_op& op, redis_result result);

  detail::hiredis_link::executor_type strand_;
  config::redis_settings settings_;
  boost::asio::steady_timer timer_;
  boost::asio::ip::tcp::resolver resolver_;
  std::shared_ptr<detail::hiredis_link> link_;
  std::deque<pending_op> pending_;
  std::vector<std::string> addresses_;  // numeric addresses of settings_.host
  std::size_t next_address_ = 0;
  bool resolving_ = false;
  std::uint64_t resolve_generation_ = 0;  // bumped when a resolve is abandoned
  bool closed_ = false;
  bool healthy_ = true;  // last state logged: log transitions only, not every failure
  clock::time_point connect_deadline_{};
  std::uint64_t next_tag_ = 1;
  bool timer_armed_ = false;
  clock::time_point timer_at_{};
  std::uint64_t timer_generation_ = 0;
};

}  // namespace kemas::redis
