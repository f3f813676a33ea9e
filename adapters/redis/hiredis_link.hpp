#pragma once
// hiredis_link: one hiredis async connection (redisAsyncContext) driven by Boost.Asio.
// Internal to adapters/redis; redis_client is its only user.
//
// Debian's hiredis 0.14 has no Asio adapter, so this is one: the context's event hooks
// (addRead/delRead/addWrite/delWrite/cleanup) turn into async_wait(wait_read/wait_write) on
// a posix::stream_descriptor over the context's socket, and readiness calls
// redisAsyncHandleRead/Write. The descriptor never owns the fd: hiredis closes it, so the
// cleanup hook release()s it first (which also takes it out of epoll, so a reused fd number
// can never wake us up).
//
// Threading: everything — creation, send(), close(), every hook and every listener call —
// happens on the one strand passed to connect(). Not thread-safe otherwise.
//
// Lifetime: handlers hold a shared_ptr to the link, so it outlives any readiness event that
// was already queued; once hiredis has freed the context (context() == nullptr) such late
// events are ignored. Listener calls happen only while the context is alive.
//
// Re-entrancy: the listener is called from inside hiredis (connect callback, reply
// callbacks, disconnect callback). Inside a listener call, do not call close(); post it.

#include "adapters/redis/reply.hpp"
#include "domain/non_copyable.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/strand.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

struct redisAsyncContext;
struct redisReply;

namespace kemas::redis::detail {

class hiredis_link;

// Receives what happens on a link. Called on the link's strand, from inside hiredis.
class link_listener {
 public:
  virtual void on_link_connected(hiredis_link& link) = 0;
  // The TCP connect failed, or an established connection ended (peer closed, I/O error,
  // or close()). hiredis frees the context right after this returns.
  virtual void on_link_down(hiredis_link& link, std::string reason) = 0;
  // Reply to the command sent with `tag`, in send order. `reply == nullptr` means the
  // context is going away without an answer for it (see link.error_text()).
  virtual void on_link_reply(hiredis_link& link, std::uint64_t tag, const redisReply* reply) = 0;

 protected:
  ~link_listener() = default;
};

class hiredis_link : public std::enable_shared_from_this<hiredis_link>, kemas::non_copyable {
 public:
  // On an io_context's own executor type, not any_io_executor: a strand of that is small
  // enough for Asio's type-erased executors to hold without a heap allocation on every
  // wait and post (measured: 9% of the api's allocations per file list).
  using executor_type = boost::asio::strand<boost::asio::io_context::executor_type>;

  // Starts a non-blocking TCP connect to a numeric address (no DNS here: name lookup
  // would block). On an immediate failure returns nullptr and sets `error`. The listener
  // must outlive the link's context (redis_client closes the link before it goes).
  static std::shared_ptr<hiredis_link> connect(executor_type strand, const std::string& ip,
                                               std::uint16_t port, link_listener& listener,
                                               std::string& error);
  ~hiredis_link();

  // Queues a command (binary-safe argv); its reply comes to on_link_reply with `tag`.
  // Returns false when hiredis refuses it (context gone or disconnecting).
  bool send(const std::vector<std::string>& args, std::uint64_t tag);

  // Frees the context now: pending commands get on_link_reply(nullptr), then on_link_down
  // if it was connected. No-op once the context is gone. Not from inside a listener call.
  void close();

  // No more listener calls from now on (the listener is going away).
  void detach() noexcept { listener_ = nullptr; }

  bool connected() const noexcept { return connected_; }
  bool alive() const noexcept { return context_ != nullptr; }
  // hiredis' description of the last error ("Connection refused", "Server closed the
  // connection"), or "" when none.
  std::string error_text() const;

 private:
  enum direction { read = 0, write = 1 };

  hiredis_link(executor_type strand, redisAsyncContext* context, link_listener& listener);

  void want(direction d, bool on);
  void on_ready(direction d, boost::system::error_code ec);
  void on_cleanup();

  static void hook_add_read(void* self);
  static void hook_del_read(void* self);
  static void hook_add_write(void* self);
  static void hook_del_write(void* self);
  static void hook_cleanup(void* self);
  static void on_connect(const redisAsyncContext* context, int status);
  static void on_disconnect(const redisAsyncContext* context, int status);
  static void on_reply(redisAsyncContext* context, void* reply, void* tag);

  struct interest {
    bool wanted = false;   // hiredis asked for this readiness
    bool waiting = false;  // an async_wait is outstanding
  };

  boost::asio::posix::stream_descriptor socket_;
  redisAsyncContext* context_;  // nullptr once hiredis freed it (cleanup hook)
  link_listener* listener_;     // nullptr after the destructor began
  interest interest_[2];
  bool connected_ = false;
};

// Deep copy of a hiredis reply (recursively for arrays).
redis_reply copy_reply(const redisReply& reply);

}  // namespace kemas::redis::detail
