#pragma once
// RAII over one librabbitmq connection: TCP connect with a timeout, login, channels, and
// amqp_rpc_reply_t turned into readable errors ("declare queue kemas.x: 406
// PRECONDITION_FAILED - inequivalent arg ...").
//
// Threading: a connection is NOT thread-safe (rabbitmq-c#428). It belongs to exactly one
// thread — an actor (publisher.hpp, consumer.hpp) or a short-lived helper — and is never
// shared. Everything here throws amqp_failure; the actors turn that into error values.

#include <amqp.h>

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>
#include <string_view>

#include "domain/non_copyable.hpp"

namespace kemas::config {
struct amqp_settings;
}

namespace kemas::amqp {

class amqp_failure : public std::runtime_error {
 public:
  amqp_failure(const std::string& what, bool connection_lost)
      : std::runtime_error(what), connection_lost_(connection_lost) {}
  // True when the whole connection is unusable (socket error, connection.close); false for
  // a channel-level error after which the connection can open a new channel.
  bool connection_lost() const noexcept { return connection_lost_; }

 private:
  bool connection_lost_;
};

struct broker_endpoint {
  std::string host;
  int port = 5672;
};

struct connection_options {
  std::string host = "127.0.0.1";
  int port = 5672;
  // Further nodes of the same cluster (amqp.more_brokers), tried in order when host:port
  // cannot be reached, so a client of a dead node moves to a live one.
  std::vector<broker_endpoint> more;
  std::string vhost = "/";
  std::string user;
  std::string password;
  int heartbeat_seconds = 30;
  // Bounds TCP connect, the login handshake and every synchronous RPC (declare, consume,
  // channel open). A broker that does not answer in time counts as gone.
  std::chrono::milliseconds timeout{5'000};
  std::string name;  // shown as connection_name in the management UI
};

connection_options make_connection_options(const config::amqp_settings& settings, std::string name);

class connection : kemas::non_copyable {
 public:
  // Connects to the first reachable endpoint (host:port, then `more` in order) and logs in.
  // Throws amqp_failure naming every endpoint tried and the cause for each; a refused login
  // is not retried elsewhere (the same credentials would be refused by every node).
  explicit connection(const connection_options& options);
  // Closes politely (connection.close, bounded by the RPC timeout) unless the connection is
  // already known to be broken, then frees the state.
  ~connection();

  amqp_connection_state_t state() const noexcept { return state_; }
  int socket_fd() const noexcept;
  const std::string& endpoint() const noexcept { return endpoint_; }

  void open_channel(amqp_channel_t channel);
  // Best effort; never throws.
  void close_channel(amqp_channel_t channel) noexcept;
  void enable_confirms(amqp_channel_t channel);
  // Per-consumer prefetch for consumers started on this channel afterwards.
  void set_prefetch(amqp_channel_t channel, std::uint16_t count);

  // Checks the reply of the last synchronous call on `channel`. On a server channel.close it
  // answers close-ok (the channel number may be opened again); on connection.close it answers
  // close-ok and marks the connection broken. Throws amqp_failure("<context>: <cause>").
  void check(amqp_rpc_reply_t reply, amqp_channel_t channel, std::string_view context);
  // Same for the int status codes of amqp_basic_publish / ack / nack.
  void check_status(int status, std::string_view context);

  // Answers a channel.close or connection.close frame the broker sent asynchronously.
  void acknowledge_channel_close(amqp_channel_t channel) noexcept;
  void acknowledge_connection_close() noexcept;

  void mark_broken() noexcept { broken_ = true; }
  bool broken() const noexcept { return broken_; }

 private:
  // One attempt; on failure state_ is freed again and the failure thrown.
  void open(const broker_endpoint& to, const connection_options& options);

  amqp_connection_state_t state_ = nullptr;
  std::string endpoint_;
  bool broken_ = false;
};

// "406 PRECONDITION_FAILED - inequivalent arg 'x-queue-type' ..." for a channel.close or
// connection.close method; used for frames that arrive outside a synchronous call.
std::string describe_close(const amqp_channel_close_t& close);
std::string describe_close(const amqp_connection_close_t& close);

std::string_view as_string_view(amqp_bytes_t bytes) noexcept;
// amqp_bytes_t pointing into `text` (no copy: `text` must outlive it).
amqp_bytes_t as_bytes(std::string_view text) noexcept;

}  // namespace kemas::amqp
