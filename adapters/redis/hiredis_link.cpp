#include "adapters/redis/hiredis_link.hpp"

#include <hiredis/async.h>

#include <boost/asio/error.hpp>

#include <climits>
#include <cstdint>
#include <system_error>

namespace kemas::redis::detail {

namespace {

hiredis_link* link_of(const redisAsyncContext* context) {
  return static_cast<hiredis_link*>(context->data);
}

}  // namespace

std::shared_ptr<hiredis_link> hiredis_link::connect(executor_type strand, const std::string& ip,
                                                    std::uint16_t port, link_listener& listener,
                                                    std::string& error) {
  redisAsyncContext* context = redisAsyncConnect(ip.c_str(), port);
  if (context == nullptr) {
    error = "out of memory";
    return nullptr;
  }
  if (context->err != 0) {
    error = context->errstr != nullptr ? context->errstr : "connect failed";
    redisAsyncFree(context);  // no hooks attached yet: this only closes the socket
    return nullptr;
  }
  std::shared_ptr<hiredis_link> link(new hiredis_link(std::move(strand), context, listener));
  try {
    link->socket_.assign(context->c.fd);  // registers the fd with the reactor
  } catch (const std::system_error& e) {
    error = std::string("cannot watch the socket: ") + e.what();
    link->context_ = nullptr;
    redisAsyncFree(context);
    return nullptr;
  }
  context->data = link.get();
  context->ev.data = link.get();
  context->ev.addRead = &hook_add_read;
  context->ev.delRead = &hook_del_read;
  context->ev.addWrite = &hook_add_write;
  context->ev.delWrite = &hook_del_write;
  context->ev.cleanup = &hook_cleanup;
  // Hooks first: setting the connect callback asks for write readiness, which is how
  // hiredis learns that the non-blocking connect finished.
  redisAsyncSetConnectCallback(context, &on_connect);
  redisAsyncSetDisconnectCallback(context, &on_disconnect);
  return link;
}

hiredis_link::hiredis_link(executor_type strand, redisAsyncContext* context,
                           link_listener& listener)
    : socket_(std::move(strand)), context_(context), listener_(&listener) {}

hiredis_link::~hiredis_link() {
  listener_ = nullptr;  // the owner is going away: hiredis' last callbacks go nowhere
  if (context_ != nullptr) redisAsyncFree(context_);
  if (socket_.is_open()) socket_.release();
}

bool hiredis_link::send(const std::vector<std::string>& args, std::uint64_t tag) {
  if (context_ == nullptr || args.empty() || args.size() > static_cast<std::size_t>(INT_MAX)) {
    return false;
  }
  std::vector<const char*> argv;
  std::vector<std::size_t> argvlen;
  argv.reserve(args.size());
  argvlen.reserve(args.size());
  for (const auto& a : args) {
    argv.push_back(a.data());
    argvlen.push_back(a.size());
  }
  // The tag travels as hiredis' privdata; it is a number, never a pointer to free.
  void* privdata = reinterpret_cast<void*>(static_cast<std::uintptr_t>(tag));
  return redisAsyncCommandArgv(context_, &on_reply, privdata, static_cast<int>(args.size()),
                               argv.data(), argvlen.data()) == REDIS_OK;
}

void hiredis_link::close() {
  if (context_ != nullptr) redisAsyncFree(context_);  // ends in on_cleanup()
}

std::string hiredis_link::error_text() const {
  if (context_ == nullptr || context_->errstr == nullptr) return {};
  return context_->errstr;
}

void hiredis_link::want(direction d, bool on) {
  interest& i = interest_[d];
  i.wanted = on;
  if (!on || i.waiting || context_ == nullptr) return;
  auto self = weak_from_this().lock();
  if (self == nullptr) return;  // inside the destructor: nothing to wait for any more
  i.waiting = true;
  const auto type = d == read ? boost::asio::posix::stream_descriptor::wait_read
                              : boost::asio::posix::stream_descriptor::wait_write;
  // Hooks are called from inside hiredis, so the wait must not complete inline: async_wait
  // never does. Asio re-arms epoll on every wait, so data already buffered is noticed.
  socket_.async_wait(type, [self = std::move(self), d](boost::system::error_code ec) {
    self->on_ready(d, ec);
  });
}

void hiredis_link::on_ready(direction d, boost::system::error_code ec) {
  interest_[d].waiting = false;
  // Readiness that was already queued when hiredis freed the context belongs to a socket
  // that no longer exists (its number may even be reused): drop it.
  if (context_ == nullptr || ec == boost::asio::error::operation_aborted) return;
  if (ec) {
    close();  // the reactor failed on this fd: the connection is unusable
    return;
  }
  if (!interest_[d].wanted) {
    return;  // interest withdrawn while the wait was outstanding
  }
  if (d == read) {
    redisAsyncHandleRead(context_);  // may free the context (and call on_cleanup)
  } else {
    redisAsyncHandleWrite(context_);
  }
}

void hiredis_link::on_cleanup() {
  // Called by hiredis just before it closes the fd and frees the context (possibly more
  // than once in some hiredis versions: keep it idempotent).
  context_ = nullptr;
  interest_[read].wanted = false;
  interest_[write].wanted = false;
  if (socket_.is_open()) socket_.release();  // cancels waits; hiredis closes the fd
}

void hiredis_link::hook_add_read(void* self) { static_cast<hiredis_link*>(self)->want(read, true); }
void hiredis_link::hook_del_read(void* self) { static_cast<hiredis_link*>(self)->want(read, false); }
void hiredis_link::hook_add_write(void* self) { static_cast<hiredis_link*>(self)->want(write, true); }
void hiredis_link::hook_del_write(void* self) { static_cast<hiredis_link*>(self)->want(write, false); }
void hiredis_link::hook_cleanup(void* self) { static_cast<hiredis_link*>(self)->on_cleanup(); }

void hiredis_link::on_connect(const redisAsyncContext* context, int status) {
  hiredis_link* link = link_of(context);
  if (link == nullptr || link->listener_ == nullptr) return;
  if (status == REDIS_OK) {
    link->connected_ = true;
    link->listener_->on_link_connected(*link);
  } else {
    // hiredis frees the context right after this callback.
    link->listener_->on_link_down(
        *link, context->errstr != nullptr ? context->errstr : "connect failed");
  }
}

void hiredis_link::on_disconnect(const redisAsyncContext* context, int status) {
  hiredis_link* link = link_of(context);
  if (link == nullptr || link->listener_ == nullptr) return;
  std::string reason = status == REDIS_OK ? "closed"
                       : context->errstr != nullptr ? context->errstr
                                                    : "connection error";
  link->listener_->on_link_down(*link, std::move(reason));
}

void hiredis_link::on_reply(redisAsyncContext* context, void* reply, void* tag) {
  hiredis_link* link = link_of(context);
  if (link == nullptr || link->listener_ == nullptr) return;
  link->listener_->on_link_reply(*link, static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(tag)),
                                 static_cast<const redisReply*>(reply));
}

redis_reply copy_reply(const redisReply& reply) {
  switch (reply.type) {
    case REDIS_REPLY_STRING:
      return redis_reply::make_string(std::string(reply.str, reply.len));
    case REDIS_REPLY_STATUS:
      return redis_reply::make_status(std::string(reply.str, reply.len));
    case REDIS_REPLY_ERROR:
      return redis_reply::make_error(std::string(reply.str, reply.len));
    case REDIS_REPLY_INTEGER:
      return redis_reply::make_integer(reply.integer);
    case REDIS_REPLY_ARRAY: {
      std::vector<redis_reply> elements;
      elements.reserve(reply.elements);
      for (std::size_t i = 0; i < reply.elements; ++i) {
        elements.push_back(reply.element[i] != nullptr ? copy_reply(*reply.element[i])
                                                       : redis_reply::make_nil());
      }
      return redis_reply::make_array(std::move(elements));
    }
    case REDIS_REPLY_NIL:
    default:
      return redis_reply::make_nil();
  }
}

}  // namespace kemas::redis::detail
