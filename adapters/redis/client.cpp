#include "adapters/redis/client.hpp"

#include "adapters/redis/client_impl.hpp"

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <csignal>
#include <mutex>
#include <stdexcept>
#include <utility>

namespace kemas::redis {

namespace asio = boost::asio;

namespace {

// Completes an Asio handler (here: a coroutine's) on its own executor. The work guard
// keeps that executor's context alive while the command is in flight, which matters when
// the caller runs on another io_context than the client.
template <class Handler>
class handler_waiter final : public detail::waiter {
 public:
  using strand_type = detail::hiredis_link::executor_type;

  handler_waiter(Handler handler, const strand_type& fallback)
      : handler_(std::move(handler)),
        work_(asio::make_work_guard(asio::get_associated_executor(handler_, fallback))) {}

  void complete(redis_result result) override {
    auto executor = work_.get_executor();
    asio::post(executor, [handler = std::move(handler_), result = std::move(result)]() mutable {
      std::move(handler)(std::move(result));
    });
    work_.reset();
  }

 private:
  Handler handler_;
  asio::executor_work_guard<asio::associated_executor_t<Handler, strand_type>> work_;
};

// hiredis 0.14 writes with write(2), not send(MSG_NOSIGNAL): a reset peer would raise
// SIGPIPE and kill the process. Ignore it unless the program installed its own handler.
void ignore_sigpipe_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction current {};
    if (::sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) {
      struct sigaction ignore {};
      ignore.sa_handler = SIG_IGN;
      sigemptyset(&ignore.sa_mask);
      ::sigaction(SIGPIPE, &ignore, nullptr);
    }
  });
}

}  // namespace

// The client's connections, one per executor it was given, each with the execution
// context (loop) its strand runs on.
struct redis_client::connections {
  struct placed {
    const asio::execution_context* loop;
    std::shared_ptr<impl> core;
  };
  std::vector<placed> each;
  mutable std::atomic<unsigned> next{0};

  // The connection on the caller's own loop: the command and its reply then never cross
  // threads. A caller elsewhere (a pool thread, a loop without one) takes them in turn.
  std::shared_ptr<impl> for_caller(const asio::any_io_executor& caller) const {
    const auto* loop = &asio::query(caller, asio::execution::context);
    for (const auto& p : each) {
      if (p.loop == loop)
        return p.core;
    }
    return each[next.fetch_add(1, std::memory_order_relaxed) % each.size()].core;
  }
};

redis_client::redis_client(asio::any_io_executor executor, config::redis_settings settings)
    : redis_client(std::vector<asio::any_io_executor>{std::move(executor)}, std::move(settings)) {}

redis_client::redis_client(const std::vector<asio::any_io_executor>& executors,
                           config::redis_settings settings)
    : connections_(std::make_shared<connections>()) {
  if (executors.empty())
    throw std::invalid_argument("redis_client needs at least one executor");
  for (const auto& executor : executors)
    connections_->each.push_back(
        {&asio::query(executor, asio::execution::context), std::make_shared<impl>(executor, settings)});
  ignore_sigpipe_once();
}

redis_client::~redis_client() { close(); }

void redis_client::close() {
  for (const auto& p : connections_->each)
    p.core->close();
}

const config::redis_settings& redis_client::settings() const noexcept {
  return connections_->each.front().core->settings();
}

// The public functions below are plain functions that hand the connections to these
// coroutines, so they are held from the call on, even if the awaitable is started later and the
// client is gone by then (a coroutine's parameters are copied into its frame at the call).
namespace {

using core_ptr = std::shared_ptr<redis_client::impl>;
using connections_ptr = std::shared_ptr<const redis_client::connections>;

asio::awaitable<redis_result> do_command(connections_ptr connections,
                                         std::vector<std::string> args,
                                         std::chrono::milliseconds timeout) {
  const asio::any_io_executor caller = co_await asio::this_coro::executor;
  core_ptr core = connections->for_caller(caller);
  // A named local, not a temporary: GCC 12 destroys the captures of a lambda temporary
  // inside a co_await expression twice (chriskohlhoff/asio#1007) — here a shared_ptr.
  auto initiation = [core](auto handler, std::vector<std::string> argv,
                           std::chrono::milliseconds limit) {
    using handler_type = decltype(handler);
    core->submit(std::move(argv), limit,
                 std::make_unique<handler_waiter<handler_type>>(std::move(handler),
                                                                core->strand()));
  };
  co_return co_await asio::async_initiate<const asio::use_awaitable_t<>&, void(redis_result)>(
      std::move(initiation), asio::use_awaitable, std::move(args), timeout);
}

asio::awaitable<bool> do_ping(connections_ptr connections, std::chrono::milliseconds timeout) {
  std::vector<std::string> argv;  // not a braced list: GCC 12 miscompiles those in coroutines
  argv.emplace_back("PING");
  const auto reply = co_await do_command(std::move(connections), std::move(argv), timeout);
  co_return reply.has_value() && reply->is_status() && reply->str() == "PONG";
}

asio::awaitable<redis_result> do_eval(connections_ptr connections, redis_script script,
                                      std::vector<std::string> keys,
                                      std::vector<std::string> args) {
  std::vector<std::string> argv;
  argv.reserve(3 + keys.size() + args.size());
  argv.push_back("EVALSHA");
  argv.push_back(script.sha1());
  argv.push_back(std::to_string(keys.size()));
  for (auto& k : keys) argv.push_back(std::move(k));
  for (auto& a : args) argv.push_back(std::move(a));
  const auto timeout = connections->each.front().core->settings().timeout;
  auto first = co_await do_command(connections, argv, timeout);
  if (!first.has_value() || first->error_code() != "NOSCRIPT") co_return first;
  argv[0] = "EVAL";  // also caches the script on the server for the next EVALSHA
  argv[1] = script.source();
  co_return co_await do_command(std::move(connections), std::move(argv), timeout);
}

}  // namespace

asio::awaitable<redis_result> redis_client::command(std::vector<std::string> args) {
  return do_command(connections_, std::move(args), settings().timeout);
}

asio::awaitable<redis_result> redis_client::command(std::vector<std::string> args,
                                                    std::chrono::milliseconds timeout) {
  return do_command(connections_, std::move(args), timeout);
}

asio::awaitable<bool> redis_client::ping() { return do_ping(connections_, settings().timeout); }

asio::awaitable<bool> redis_client::ping(std::chrono::milliseconds timeout) {
  return do_ping(connections_, timeout);
}

asio::awaitable<redis_result> redis_client::eval(const redis_script& script,
                                                 std::vector<std::string> keys,
                                                 std::vector<std::string> args) {
  return do_eval(connections_, script, std::move(keys), std::move(args));
}

asio::awaitable<redis_result> redis_client::eval(std::string_view script,
                                                 std::vector<std::string> keys,
                                                 std::vector<std::string> args) {
  return do_eval(connections_, redis_script(std::string(script)), std::move(keys), std::move(args));
}

}  // namespace kemas::redis
