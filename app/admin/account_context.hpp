#pragma once
// What the account subcommands (create-admin, user ...) share for one run: a PostgreSQL pool
// of one connection with the user repository, a Redis client with the session store, and a
// way to drive their awaitables from main().
//
// Threading: one thread (main) owns it. run() turns the calling thread into the io_context's
// runner until the given coroutine finishes, then returns its value or rethrows its exception
// (kemas::backend_unavailable when PostgreSQL is down, for instance). Nothing connects until
// the first call.

#include "adapters/config/settings.hpp"
#include "adapters/postgres/outbox.hpp"
#include "adapters/postgres/pool.hpp"
#include "adapters/postgres/repositories/user_repository.hpp"
#include "adapters/redis/auth/session_store.hpp"
#include "adapters/redis/client.hpp"
#include "app/admin/command.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <chrono>
#include <functional>
#include <future>
#include <optional>
#include <string>

namespace kemas::admin {

class account_context {
 public:
  explicit account_context(const config::settings& settings);

  template <class T>
  T run(boost::asio::awaitable<T> work) {
    auto future = boost::asio::co_spawn(io_, std::move(work), boost::asio::use_future);
    // run_one, not run(): an idle Redis connection keeps the context busy forever.
    io_.restart();
    while (future.wait_for(std::chrono::seconds(0)) != std::future_status::ready)
      io_.run_one();
    return future.get();
  }

  postgres::user_repository& users() noexcept { return users_; }
  redis::session_store& sessions() noexcept { return sessions_; }

  // An event caused by this CLI run: no actor (an operator, not an account), the user as
  // subject (left empty for the repository to fill when nullopt), data {"via": "kemas-admin"},
  // and one request id per run so all of a run's events can be found together.
  model::event_draft event(std::string type, std::optional<uuid> user) const;

 private:
  boost::asio::io_context io_;  // first: outlives the clients below
  std::string request_id_;
  postgres::pg_pool pool_;
  postgres::user_repository users_;
  redis::redis_client redis_;
  redis::session_store sessions_;
};

// Looks the user up by e-mail; prints "no user with email ..." to stderr when absent.
// Returns nullopt then (exit 1). Throws what the repository throws.
std::optional<model::user> find_user_or_report(account_context& context, const std::string& command,
                                               const std::string& email);

// Ends every session of the user in Redis. Prints how many, or the failure to stderr; false
// when Redis could not be reached.
bool end_sessions(account_context& context, const std::string& command, const model::user& user);

// The frame of an account subcommand: loads the settings (exit 1 when they are invalid),
// opens an account_context and runs `work` with it; an exception (PostgreSQL down, say) is
// printed as "kemas-admin <command>: ..." and becomes exit 1.
int with_account_context(const global_options& global, const std::string& command,
                         const std::function<int(account_context&, const config::settings&)>& work);

}  // namespace kemas::admin
