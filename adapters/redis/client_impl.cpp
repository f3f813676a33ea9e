#include "adapters/redis/client_impl.hpp"
#include "domain/text.hpp"

#include <hiredis/hiredis.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <string_view>
#include <utility>

namespace kemas::redis {

namespace asio = boost::asio;

namespace {

asio::io_context::executor_type loop_of(const asio::any_io_executor& executor) {
  const auto* loop = executor.target<asio::io_context::executor_type>();
  if (loop == nullptr)
    throw std::invalid_argument("redis_client needs an io_context's executor");
  return *loop;
}

}  // namespace

redis_client::impl::impl(asio::any_io_executor executor, config::redis_settings settings)
    : strand_(asio::make_strand(loop_of(executor))),
      settings_(std::move(settings)),
      timer_(strand_),
      resolver_(strand_) {}

redis_client::impl::~impl() {
  // Normally close() already dropped the link; this is the teardown path (e.g. the
  // io_context was stopped first). Waiting callers are abandoned, not completed.
  if (link_ != nullptr) {
    link_->detach();
    link_->close();
  }
}

namespace {

// hiredis gives these special treatment (subscribe callbacks fire many times, unsubscribe
// gets no reply slot), which would break the one-reply-per-command order we rely on.
bool is_push_command(const std::string& name) {
  static constexpr std::string_view refused[] = {"subscribe",   "psubscribe",   "ssubscribe",
                                                 "unsubscribe", "punsubscribe", "sunsubscribe",
                                                 "monitor"};
  for (const auto word : refused) {
    if (iequals(name, word))
      return true;
  }
  return false;
}

}  // namespace

void redis_client::impl::submit(std::vector<std::string> args, std::chrono::milliseconds timeout,
                                std::unique_ptr<detail::waiter> done) {
  if (args.empty() || is_push_command(args.front())) {
    done->complete(redis_result(make_error_code(redis_errc::invalid_command)));
    return;
  }
  pending_op op;
  op.args = std::move(args);
  op.deadline = clock::now() + timeout;  // counted from the caller's request
  op.done = std::move(done);
  asio::post(strand_, [self = shared_from_this(), op = std::move(op)]() mutable {
    self->enqueue(std::move(op));
  });
}

void redis_client::impl::close() {
  asio::post(strand_, [self = shared_from_this()] {
    if (self->closed_) return;
    self->closed_ = true;
    self->timer_.cancel();
    self->drop_link(redis_errc::closed, redis_errc::closed, "client closed");
  });
}

void redis_client::impl::enqueue(pending_op op) {
  if (closed_) {
    complete(op, redis_result(make_error_code(redis_errc::closed)));
    return;
  }
  op.tag = next_tag_++;
  pending_.push_back(std::move(op));
  arm_timer(pending_.back().deadline);
  if (link_ != nullptr) {
    if (!link_->send(pending_.back().args, pending_.back().tag)) {
      drop_link(redis_errc::connection_lost, redis_errc::connection_lost,
                "hiredis refused the command: " + link_->error_text());
    }
  } else if (!resolving_) {
    start_connect();
  }
}

void redis_client::impl::start_connect() {
  connect_deadline_ = clock::now() + settings_.timeout;
  arm_timer(connect_deadline_);
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(settings_.host, ec);
  if (!ec) {
    addresses_.assign(1, address.to_string());
    next_address_ = 0;
    try_next_address("no address");
    return;
  }
  // hiredis would resolve a name with a blocking getaddrinfo on this I/O thread; Asio's
  // resolver does it on its own thread.
  resolving_ = true;
  resolver_.async_resolve(
      settings_.host, std::to_string(settings_.port),
      [self = shared_from_this(), generation = resolve_generation_](
          const boost::system::error_code& error,
          const asio::ip::tcp::resolver::results_type& results) {
        if (generation != self->resolve_generation_) return;  // given up on by drop_link
        self->on_resolved(error, results);
      });
}

void redis_client::impl::on_resolved(const boost::system::error_code& ec,
                                     const asio::ip::tcp::resolver::results_type& results) {
  resolving_ = false;
  if (closed_ || pending_.empty()) return;
  if (ec || results.empty()) {
    drop_link(redis_errc::connect_failed, redis_errc::connect_failed,
              "cannot resolve " + settings_.host + ": " +
                  (ec ? ec.message() : std::string("no address")));
    return;
  }
  // "localhost" may give ::1 first while Redis listens on 127.0.0.1 only: keep them all
  // and try the next one when a connect is refused.
  addresses_.clear();
  for (const auto& entry : results) {
    auto ip = entry.endpoint().address().to_string();
    if (std::find(addresses_.begin(), addresses_.end(), ip) == addresses_.end()) {
      addresses_.push_back(std::move(ip));
    }
  }
  next_address_ = 0;
  try_next_address("no address");
}

void redis_client::impl::try_next_address(std::string last_error) {
  while (next_address_ < addresses_.size()) {
    if (open_link(addresses_[next_address_++], last_error)) return;
  }
  drop_link(redis_errc::connect_failed, redis_errc::connect_failed, last_error);
}

bool redis_client::impl::open_link(const std::string& ip, std::string& error) {
  auto link = detail::hiredis_link::connect(strand_, ip, settings_.port, *this, error);
  if (link == nullptr) return false;
  link_ = std::move(link);
  // The handshake goes first; hiredis buffers it all until the TCP connect completes.
  if (settings_.database != 0) {
    pending_.push_front(pending_op{next_tag_++, op_kind::select,
                                   {"SELECT", std::to_string(settings_.database)},
                                   connect_deadline_, nullptr});
  }
  if (!settings_.password.empty()) {
    pending_.push_front(pending_op{next_tag_++, op_kind::auth, {"AUTH", settings_.password},
                                   connect_deadline_, nullptr});
  }
  for (auto& op : pending_) {
    if (!link_->send(op.args, op.tag)) {
      error = "hiredis refused the command: " + link_->error_text();
      retire_link();
      strip_handshake();
      return false;
    }
  }
  return true;
}

void redis_client::impl::retire_link() {
  if (link_ != nullptr && link_->alive()) {
    // We may be inside a hiredis callback, where freeing the context is not allowed:
    // free it from a fresh strand turn. Its late callbacks are ignored (it is not link_).
    asio::post(strand_, [self = shared_from_this(), link = link_] { link->close(); });
  }
  link_ = nullptr;
}

void redis_client::impl::strip_handshake() {
  pending_.erase(std::remove_if(pending_.begin(), pending_.end(),
                                [](const pending_op& op) { return op.kind != op_kind::user; }),
                 pending_.end());
}

void redis_client::impl::link_failed(std::string reason) {
  if (!link_->connected() && next_address_ < addresses_.size() &&
      clock::now() < connect_deadline_) {
    // Nothing was answered yet: the commands can go to the next address unchanged.
    retire_link();
    strip_handshake();
    try_next_address(std::move(reason));
    return;
  }
  const auto code = link_->connected() ? redis_errc::connection_lost : redis_errc::connect_failed;
  drop_link(code, code, reason);
}

void redis_client::impl::on_link_connected(detail::hiredis_link& link) {
  if (&link != link_.get()) return;
  if (settings_.password.empty() && settings_.database == 0) note_healthy();
}

void redis_client::impl::on_link_down(detail::hiredis_link& link, std::string reason) {
  if (&link != link_.get()) return;  // a link we already gave up on
  link_failed(std::move(reason));
}

void redis_client::impl::on_link_reply(detail::hiredis_link& link, std::uint64_t tag,
                                       const redisReply* reply) {
  if (&link != link_.get()) return;  // late replies of a dropped link
  if (pending_.empty() || pending_.front().tag != tag) {
    // Cannot happen while Redis answers in order; if it does, no reply can be trusted.
    drop_link(redis_errc::connection_lost, redis_errc::connection_lost, "reply out of order");
    return;
  }
  if (reply == nullptr) {
    const auto text = link.error_text();
    link_failed(text.empty() ? "connection closed" : text);
    return;
  }
  pending_op op = std::move(pending_.front());
  pending_.pop_front();
  if (op.kind == op_kind::user) {
    complete(op, redis_result(detail::copy_reply(*reply)));
    return;
  }
  if (reply->type == REDIS_REPLY_ERROR) {
    drop_link(redis_errc::connect_failed, redis_errc::connect_failed,
              std::string(op.kind == op_kind::auth ? "AUTH" : "SELECT") +
                  " refused: " + std::string(reply->str, reply->len));
    return;
  }
  if (pending_.empty() || pending_.front().kind == op_kind::user) note_healthy();
}

void redis_client::impl::drop_link(redis_errc expired_code, redis_errc other_code,
                                   const std::string& reason) {
  retire_link();
  if (resolving_) {
    resolving_ = false;
    ++resolve_generation_;
    resolver_.cancel();
  }
  auto ops = std::move(pending_);
  pending_.clear();
  if (other_code != redis_errc::closed) note_failure(other_code, reason);
  const auto now = clock::now();
  for (auto& op : ops) {
    complete(op, redis_result(make_error_code(op.deadline <= now ? expired_code : other_code)));
  }
}

void redis_client::impl::arm_timer(clock::time_point at) {
  if (timer_armed_ && timer_at_ <= at) return;
  timer_armed_ = true;
  timer_at_ = at;
  const auto generation = ++timer_generation_;
  timer_.expires_at(at);  // cancels the previous wait; its handler sees a stale generation
  timer_.async_wait([self = shared_from_this(), generation](boost::system::error_code) {
    self->on_timer(generation);
  });
}

void redis_client::impl::on_timer(std::uint64_t generation) {
  if (generation != timer_generation_) return;
  timer_armed_ = false;
  if (closed_) return;
  const auto now = clock::now();
  const bool handshaking =
      resolving_ || (link_ != nullptr && (!link_->connected() ||
                                          (!pending_.empty() && pending_.front().kind != op_kind::user)));
  if (handshaking && now >= connect_deadline_) {
    drop_link(redis_errc::connect_failed, redis_errc::connect_failed,
              "not connected within " + std::to_string(settings_.timeout.count()) + " ms");
  } else if (std::any_of(pending_.begin(), pending_.end(),
                         [now](const pending_op& op) { return op.deadline <= now; })) {
    // Replies are ordered: one missing reply blocks all behind it, so the connection is
    // useless now. Reconnect on the next command.
    drop_link(redis_errc::timeout, redis_errc::connection_lost,
              "a command got no reply in time; the connection is reset");
  }
  if (pending_.empty()) return;
  auto next = std::min_element(pending_.begin(), pending_.end(),
                               [](const pending_op& a, const pending_op& b) {
                                 return a.deadline < b.deadline;
                               })->deadline;
  if (handshaking) next = std::min(next, connect_deadline_);
  arm_timer(next);
}

void redis_client::impl::note_failure(redis_errc code, const std::string& reason) {
  if (healthy_) {
    healthy_ = false;
    spdlog::warn("redis {}:{}: {}: {}", settings_.host, settings_.port,
                 make_error_code(code).message(), reason);
  } else {
    spdlog::debug("redis {}:{}: {}: {}", settings_.host, settings_.port,
                  make_error_code(code).message(), reason);
  }
}

void redis_client::impl::note_healthy() {
  if (healthy_) return;
  healthy_ = true;
  spdlog::info("redis {}:{}: connected", settings_.host, settings_.port);
}

void redis_client::impl::complete(pending_op& op, redis_result result) {
  if (op.done == nullptr) return;
  op.done->complete(std::move(result));
  op.done.reset();
}

}  // namespace kemas::redis
