#include "adapters/amqp/connection.hpp"

#include "adapters/config/settings.hpp"

#include <amqp_tcp_socket.h>

#include <sys/time.h>

#include <cerrno>
#include <cstring>

#include <string>

namespace kemas::amqp {
namespace {

timeval to_timeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

std::string describe_reply(const amqp_rpc_reply_t& reply) {
  switch (reply.reply_type) {
    case AMQP_RESPONSE_NORMAL:
      return "ok";
    case AMQP_RESPONSE_NONE:
      return "missing RPC reply";
    case AMQP_RESPONSE_LIBRARY_EXCEPTION:
      return amqp_error_string2(reply.library_error);
    case AMQP_RESPONSE_SERVER_EXCEPTION:
      if (reply.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
        return describe_close(*static_cast<const amqp_channel_close_t*>(reply.reply.decoded));
      }
      if (reply.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
        return "connection closed: " +
               describe_close(*static_cast<const amqp_connection_close_t*>(reply.reply.decoded));
      }
      return "unexpected server method " + std::to_string(reply.reply.id);
  }
  return "unknown reply type";
}

}  // namespace

std::string_view as_string_view(amqp_bytes_t bytes) noexcept {
  if (bytes.len == 0 || bytes.bytes == nullptr)
    return {};
  return {static_cast<const char*>(bytes.bytes), bytes.len};
}

amqp_bytes_t as_bytes(std::string_view text) noexcept {
  amqp_bytes_t bytes;
  bytes.len = text.size();
  bytes.bytes = const_cast<char*>(text.data());
  return bytes;
}

std::string describe_close(const amqp_channel_close_t& close) {
  return std::to_string(close.reply_code) + " " + std::string(as_string_view(close.reply_text));
}

std::string describe_close(const amqp_connection_close_t& close) {
  return std::to_string(close.reply_code) + " " + std::string(as_string_view(close.reply_text));
}

connection_options make_connection_options(const config::amqp_settings& settings,
                                           std::string name) {
  std::vector<broker_endpoint> more;
  for (const std::string& node : settings.more_brokers) {
    const auto colon = node.rfind(':');  // the loader checked "host:port"
    more.push_back({node.substr(0, colon), std::stoi(node.substr(colon + 1))});
  }
  return {.host = settings.host,
          .port = settings.port,
          .more = std::move(more),
          .vhost = settings.vhost,
          .user = settings.user,
          .password = settings.password,
          .heartbeat_seconds = settings.heartbeat_seconds,
          .name = std::move(name)};
}

connection::connection(const connection_options& options) {
  std::vector<broker_endpoint> endpoints{{options.host, options.port}};
  endpoints.insert(endpoints.end(), options.more.begin(), options.more.end());
  std::string failures;
  for (const broker_endpoint& to : endpoints) {
    try {
      open(to, options);
      return;
    } catch (const amqp_failure& e) {
      if (std::string_view(e.what()).starts_with("amqp login"))
        throw;  // every node would refuse the same credentials
      failures += failures.empty() ? e.what() : std::string("; ") + e.what();
    }
  }
  throw amqp_failure(failures, true);
}

void connection::open(const broker_endpoint& to, const connection_options& options) {
  broken_ = false;
  state_ = amqp_new_connection();
  endpoint_ = to.host + ":" + std::to_string(to.port);
  if (state_ == nullptr)
    throw amqp_failure("amqp: out of memory", true);
  try {
    amqp_socket_t* socket = amqp_tcp_socket_new(state_);
    if (socket == nullptr)
      throw amqp_failure("amqp: cannot create a TCP socket", true);
    const timeval timeout = to_timeval(options.timeout);
    errno = 0;
    const int status =
        amqp_socket_open_noblock(socket, to.host.c_str(), to.port, &timeout);
    if (status != AMQP_STATUS_OK) {
      const int error = errno;
      std::string why = amqp_error_string2(status);
      if (status == AMQP_STATUS_SOCKET_ERROR && error != 0) {
        why += std::string(" (") + std::strerror(error) + ")";
      }
      throw amqp_failure("amqp connect " + endpoint_ + ": " + why, true);
    }
    amqp_set_handshake_timeout(state_, &timeout);
    amqp_set_rpc_timeout(state_, &timeout);

    amqp_table_entry_t entry;
    entry.key = amqp_cstring_bytes("connection_name");
    entry.value.kind = AMQP_FIELD_KIND_UTF8;
    entry.value.value.bytes = as_bytes(options.name);
    amqp_table_t properties{1, &entry};
    const amqp_rpc_reply_t reply = amqp_login_with_properties(
        state_, options.vhost.c_str(), 0, AMQP_DEFAULT_FRAME_SIZE, options.heartbeat_seconds,
        &properties, AMQP_SASL_METHOD_PLAIN, options.user.c_str(), options.password.c_str());
    if (reply.reply_type != AMQP_RESPONSE_NORMAL) {
      broken_ = true;
      // The broker answers a bad login or vhost by closing the socket.
      throw amqp_failure("amqp login to " + endpoint_ + " as '" + options.user + "' vhost '" +
                             options.vhost + "': " + describe_reply(reply) +
                             " (check user, password and vhost)",
                         true);
    }
  } catch (...) {
    broken_ = true;
    amqp_destroy_connection(state_);
    state_ = nullptr;
    throw;
  }
}

connection::~connection() {
  if (state_ == nullptr)
    return;
  if (!broken_) {
    amqp_connection_close(state_, AMQP_REPLY_SUCCESS);
  }
  amqp_destroy_connection(state_);
}

int connection::socket_fd() const noexcept {
  return amqp_get_sockfd(state_);
}

void connection::open_channel(amqp_channel_t channel) {
  amqp_channel_open(state_, channel);
  check(amqp_get_rpc_reply(state_), channel, "open channel " + std::to_string(channel));
}

void connection::close_channel(amqp_channel_t channel) noexcept {
  if (broken_)
    return;
  const amqp_rpc_reply_t reply = amqp_channel_close(state_, channel, AMQP_REPLY_SUCCESS);
  if (reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION)
    broken_ = true;
}

void connection::enable_confirms(amqp_channel_t channel) {
  amqp_confirm_select(state_, channel);
  check(amqp_get_rpc_reply(state_), channel, "confirm.select");
}

void connection::set_prefetch(amqp_channel_t channel, std::uint16_t count) {
  amqp_basic_qos(state_, channel, 0, count, 0);
  check(amqp_get_rpc_reply(state_), channel, "basic.qos");
}

void connection::check(amqp_rpc_reply_t reply, amqp_channel_t channel, std::string_view context) {
  if (reply.reply_type == AMQP_RESPONSE_NORMAL)
    return;
  const std::string text = std::string(context) + ": " + describe_reply(reply);
  bool lost = true;
  if (reply.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION &&
      reply.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
    acknowledge_channel_close(channel);
    lost = broken_;
  } else if (reply.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION &&
             reply.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
    acknowledge_connection_close();
  } else {
    // Library errors (socket, timeout, heartbeat) leave the connection unusable.
    broken_ = true;
  }
  throw amqp_failure(text, lost);
}

void connection::check_status(int status, std::string_view context) {
  if (status == AMQP_STATUS_OK)
    return;
  broken_ = true;
  throw amqp_failure(std::string(context) + ": " + amqp_error_string2(status), true);
}

void connection::acknowledge_channel_close(amqp_channel_t channel) noexcept {
  amqp_channel_close_ok_t close_ok{};
  if (amqp_send_method(state_, channel, AMQP_CHANNEL_CLOSE_OK_METHOD, &close_ok) !=
      AMQP_STATUS_OK) {
    broken_ = true;
  }
}

void connection::acknowledge_connection_close() noexcept {
  amqp_connection_close_ok_t close_ok{};
  amqp_send_method(state_, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &close_ok);
  broken_ = true;
}

}  // namespace kemas::amqp
