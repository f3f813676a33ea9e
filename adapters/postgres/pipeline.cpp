#include "adapters/postgres/pipeline.hpp"

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <deque>
#include <exception>
#include <future>
#include <unordered_set>

#include "adapters/log/logging.hpp"
#include "adapters/postgres/conninfo.hpp"
#include "adapters/postgres/errors.hpp"
#include "adapters/postgres/native.hpp"
#include "adapters/postgres/prepared.hpp"
#include "adapters/support/blocking_pool.hpp"

namespace kemas::postgres {
namespace asio = boost::asio;
using std::chrono::steady_clock;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// A waiting caller: its coroutine's handler, type-erased, and the executor it resumes on.
// (Boost 1.81's any_completion_handler cannot be posted: its executor lacks blocking.never.)
class completion {
 public:
  template <class Handler>
  explicit completion(Handler handler)
      : executor_(asio::get_associated_executor(handler)),
        call_(std::make_unique<model<Handler>>(std::move(handler))) {}

  // Resumes the caller on its own executor, never inside the link's strand turn.
  void resume(std::exception_ptr error, prepared_rows rows) && {
    asio::post(executor_, [c = std::move(call_), error, r = std::move(rows)]() mutable {
      c->invoke(error, std::move(r));
    });
  }

 private:
  struct concept_ {
    virtual ~concept_() = default;
    virtual void invoke(std::exception_ptr error, prepared_rows rows) = 0;
  };
  template <class Handler>
  struct model final : concept_ {
    explicit model(Handler h) : handler(std::move(h)) {}
    void invoke(std::exception_ptr error, prepared_rows rows) override {
      std::move(handler)(error, std::move(rows));
    }
    Handler handler;
  };
  asio::any_io_executor executor_;
  std::unique_ptr<concept_> call_;
};

std::string error_text(const PGconn* connection) {
  std::string message = connection != nullptr ? PQerrorMessage(connection) : "out of memory";
  while (!message.empty() && (message.back() == '\n' || message.back() == ' '))
    message.pop_back();
  return message;
}

void finish(completion handler, std::exception_ptr error, prepared_rows rows) {
  std::move(handler).resume(error, std::move(rows));
}

void fail(completion handler, const std::string& why) {
  finish(std::move(handler), std::make_exception_ptr(pg_connection_error(why)),
         prepared_rows(nullptr));
}

}  // namespace

struct pg_pipeline::connector {
  support::blocking_pool thread{1};
  std::vector<std::pair<std::string, std::string>> parameters;

  // A connection ready for pipelining, or nullptr and why not.
  std::pair<PGconn*, std::string> connect() const {
    PGconn* connection = connect_with(parameters);
    if (connection == nullptr || PQstatus(connection) != CONNECTION_OK) {
      std::string why = error_text(connection);
      PQfinish(connection);
      return {nullptr, why};
    }
    install_notice_logger(connection);
    if (PQsetnonblocking(connection, 1) != 0 || PQenterPipelineMode(connection) != 1) {
      std::string why = error_text(connection);
      PQfinish(connection);
      return {nullptr, why};
    }
    return {connection, {}};
  }
};

// One connection and the statements in flight on it, in the order they were sent. Every
// member is touched only on `strand`.
struct pg_pipeline::link : std::enable_shared_from_this<pg_pipeline::link> {
  // A statement not sent yet.
  struct waiting {
    const prepared_statement* statement;
    std::vector<std::optional<std::string>> parameters;
    completion handler;
    int attempts = 0;  // sends so far that a failing neighbour aborted
  };
  // A statement sent: [prepare,] query, and after the last of its batch the sync point; the
  // server answers them in that order.
  struct in_flight {
    enum class step { prepare, query, sync };
    waiting call;
    step at = step::query;
    bool ends_batch = false;
    bool aborted = false;  // skipped because an earlier statement of its batch failed
    PGresult* result = nullptr;  // owned until handed to the caller
    std::string error{};
    std::string sqlstate{};
    steady_clock::time_point sent{};
  };
  // An aborted statement is sent again, at most this often, then fails.
  static constexpr int max_attempts = 3;

  // Typed on the loop's own executor, not any_io_executor: small enough for Asio's
  // type-erased executors to hold without a heap allocation on every wait and post.
  asio::strand<asio::io_context::executor_type> strand;
  connector& connect_thread;
  std::chrono::milliseconds reconnect_delay;
  steady_clock::duration answer_limit;
  std::string target;  // user@host:port/db for logs, no secret

  PGconn* connection = nullptr;
  std::optional<asio::posix::stream_descriptor> socket;
  std::uint64_t generation = 0;  // bumped per connection: coroutines of an old one stop
  std::unordered_set<std::string> prepared;
  std::deque<in_flight> flights;
  std::vector<waiting> queued;    // while connecting
  std::vector<waiting> outgoing;  // the next batch, sent at the end of this strand turn
  bool send_scheduled = false;
  bool connecting = false;
  bool writing = false;
  bool stopped = false;
  steady_clock::time_point retry_at{};
  asio::steady_timer watchdog;

  link(asio::io_context::executor_type executor, connector& c, std::chrono::milliseconds delay,
       steady_clock::duration limit, std::string where)
      : strand(asio::make_strand(executor)),
        connect_thread(c),
        reconnect_delay(delay),
        answer_limit(limit),
        target(std::move(where)),
        watchdog(strand) {}

  ~link() { close("closed"); }

  void submit(const prepared_statement& statement,
              std::vector<std::optional<std::string>> parameters, completion handler) {
    if (stopped)
      return fail(std::move(handler), "postgres pipeline stopped");
    if (connection != nullptr)
      return enqueue({&statement, std::move(parameters), std::move(handler)});
    if (!connecting && steady_clock::now() < retry_at)
      return fail(std::move(handler), "postgres unreachable (" + target + "), retrying shortly");
    queued.push_back({&statement, std::move(parameters), std::move(handler)});
    if (!connecting)
      start_connecting();
  }

  void start_connecting() {
    connecting = true;
    connect_thread.thread.post([self = shared_from_this()] {
      auto [made, why] = self->connect_thread.connect();
      asio::post(self->strand, [self, made, why] { self->connected(made, why); });
    });
  }

  void connected(PGconn* made, const std::string& why) {
    connecting = false;
    auto waiting_now = std::exchange(queued, {});
    if (made == nullptr || stopped) {
      PQfinish(made);
      if (!stopped) {
        retry_at = steady_clock::now() + reconnect_delay;
        log::warn("postgres pipeline cannot connect", {{"target", target}, {"error", why}});
      }
      for (auto& w : waiting_now)
        fail(std::move(w.handler), "postgres unreachable (" + target + "): " + why);
      return;
    }
    connection = made;
    socket.emplace(strand, PQsocket(made));
    const auto current = ++generation;
    asio::co_spawn(strand, read_answers(shared_from_this(), current), asio::detached);
    asio::co_spawn(strand, watch(shared_from_this(), current), asio::detached);
    for (auto& w : waiting_now)
      outgoing.push_back(std::move(w));
    send_batch();
  }

  // Statements submitted while this turn runs go out together, behind one sync point: the
  // server reads them in one go and answers them in one write.
  void enqueue(waiting call) {
    outgoing.push_back(std::move(call));
    if (!send_scheduled) {
      send_scheduled = true;
      asio::post(strand, [self = shared_from_this()] {
        self->send_scheduled = false;
        self->send_batch();
      });
    }
  }

  void send_batch() {
    if (connection == nullptr || outgoing.empty())
      return;  // close() failed what was waiting
    auto batch = std::exchange(outgoing, {});
    const auto now = steady_clock::now();
    std::vector<const char*> values;
    bool unsynced = false;  // statements sent since the last sync point
    const auto sync = [&] {
      unsynced = false;
      flights.back().ends_batch = true;
      return PQpipelineSync(connection) == 1;
    };
    for (std::size_t i = 0; i < batch.size(); ++i) {
      auto& call = batch[i];
      if (call.statement->alone && unsynced && !sync())
        return send_failed(batch, i);
      const auto& name = call.statement->name;
      values.clear();
      for (const auto& p : call.parameters)
        values.push_back(p ? p->c_str() : nullptr);
      const bool prepare = !prepared.contains(name);
      if ((prepare && PQsendPrepare(connection, name.c_str(), call.statement->sql.c_str(), 0,
                                    nullptr) != 1) ||
          PQsendQueryPrepared(connection, name.c_str(), static_cast<int>(values.size()),
                              values.data(), nullptr, nullptr, 0) != 1) {
        return send_failed(batch, i);
      }
      if (prepare)
        prepared.insert(name);
      const bool alone = call.statement->alone;
      flights.push_back({.call = std::move(call),
                         .at = prepare ? in_flight::step::prepare : in_flight::step::query,
                         .sent = now});
      unsynced = true;
      if (alone && !sync())
        return send_failed(batch, i + 1);
    }
    if (unsynced && !sync())
      return send_failed(batch, batch.size());
    flush();
    // Flushing may have read answers into libpq's buffer, which no readiness will announce.
    if (connection != nullptr)
      take_answers();
  }

  // The connection broke while sending: calls from `unsent` on fail with what is in flight.
  void send_failed(std::vector<waiting>& batch, std::size_t unsent) {
    const auto why = error_text(connection);
    for (std::size_t i = unsent; i < batch.size(); ++i)
      fail(std::move(batch[i].handler), "postgres connection lost: " + why);
    close("sending failed: " + why);
  }

  // libpq keeps what the socket did not take; it goes out once the socket is writable.
  void flush() {
    const int left = PQflush(connection);
    if (left < 0)
      return close("sending failed: " + error_text(connection));
    if (left == 1 && !writing) {
      writing = true;
      asio::co_spawn(strand, write_rest(shared_from_this(), generation), asio::detached);
    }
  }

  static asio::awaitable<void> write_rest(std::shared_ptr<link> self, std::uint64_t current) {
    for (;;) {
      auto [ec] = co_await self->socket->async_wait(asio::posix::stream_descriptor::wait_write,
                                                    use_tuple);
      if (ec || self->generation != current)
        co_return;
      const int left = PQflush(self->connection);
      if (left < 0) {
        self->close("sending failed: " + error_text(self->connection));
        co_return;
      }
      if (left == 0) {
        self->writing = false;
        self->take_answers();  // as in send_batch(): flushing may have read answers
        co_return;
      }
    }
  }

  static asio::awaitable<void> read_answers(std::shared_ptr<link> self, std::uint64_t current) {
    for (;;) {
      auto [ec] = co_await self->socket->async_wait(asio::posix::stream_descriptor::wait_read,
                                                    use_tuple);
      if (ec || self->generation != current)
        co_return;
      if (PQconsumeInput(self->connection) != 1) {
        self->close("connection lost: " + error_text(self->connection));
        co_return;
      }
      if (!self->take_answers())
        co_return;
    }
  }

  // Hands each complete answer to its caller. False once the connection was closed.
  bool take_answers() {
    while (!flights.empty()) {
      if (PQisBusy(connection) != 0)
        return true;  // the rest has not arrived yet
      PGresult* r = PQgetResult(connection);
      auto& front = flights.front();
      switch (front.at) {
        case in_flight::step::prepare:
          if (r == nullptr) {
            front.at = in_flight::step::query;
          } else {
            if (const auto status = PQresultStatus(r); status != PGRES_COMMAND_OK) {
              prepared.erase(front.call.statement->name);
              if (status == PGRES_PIPELINE_ABORTED)
                front.aborted = true;
              else
                record_error(front, r);
            }
            PQclear(r);
          }
          break;
        case in_flight::step::query:
          if (r == nullptr) {
            if (front.ends_batch) {
              front.at = in_flight::step::sync;
            } else {
              done(std::move(front));
              flights.pop_front();
            }
          } else if (const auto status = PQresultStatus(r);
                     status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK) {
            PQclear(std::exchange(front.result, r));
          } else {
            // After a failed prepare of its own the error is kept; after a neighbour's
            // failure it is sent again.
            if (status == PGRES_PIPELINE_ABORTED)
              front.aborted = front.aborted || front.error.empty();
            else
              record_error(front, r);
            PQclear(r);
          }
          break;
        case in_flight::step::sync: {
          const bool in_step = r != nullptr && PQresultStatus(r) == PGRES_PIPELINE_SYNC;
          PQclear(r);
          if (!in_step) {
            close("answers out of step with the statements sent");
            return false;
          }
          done(std::move(front));
          flights.pop_front();
          break;
        }
      }
    }
    return true;
  }

  void record_error(in_flight& flight, const PGresult* r) {
    std::string message = PQresultErrorMessage(r);
    while (!message.empty() && message.back() == '\n')
      message.pop_back();
    const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    flight.error = message.empty() ? std::string("statement aborted") : message;
    flight.sqlstate = state != nullptr ? state : "";
    if (flight.sqlstate == "26000")  // the server lost the prepared statement: prepare again
      prepared.erase(flight.call.statement->name);
  }

  // A statement whose answers are all in: to its caller, or into the next batch when a
  // neighbour's failure skipped it.
  void done(in_flight flight) {
    if (flight.aborted && flight.error.empty() && flight.call.attempts + 1 < max_attempts) {
      PQclear(flight.result);
      ++flight.call.attempts;
      return enqueue(std::move(flight.call));
    }
    if (flight.aborted && flight.error.empty())
      flight.error = "statement skipped: another statement of its batch failed";
    answer(std::move(flight));
  }

  static void answer(in_flight flight) {
    auto& handler = flight.call.handler;
    if (!flight.error.empty()) {
      PQclear(flight.result);
      finish(std::move(handler),
             std::make_exception_ptr(pg_sql_error(flight.error, flight.sqlstate, 0)),
             prepared_rows(nullptr));
    } else if (flight.result == nullptr) {
      fail(std::move(handler), "postgres sent no result");
    } else {
      finish(std::move(handler), nullptr, prepared_rows(flight.result));
    }
  }

  // A server that stops answering (a vanished host, a stuck backend) is given up on.
  static asio::awaitable<void> watch(std::shared_ptr<link> self, std::uint64_t current) {
    for (;;) {
      self->watchdog.expires_after(std::chrono::seconds(1));
      co_await self->watchdog.async_wait(use_tuple);  // cancelled by close(): checked below
      if (self->generation != current || self->connection == nullptr)
        co_return;
      if (!self->flights.empty() &&
          steady_clock::now() - self->flights.front().sent > self->answer_limit) {
        self->close("no answer within statement_timeout + 5 s");
        co_return;
      }
    }
  }

  // Fails everything in flight; the next statement connects again.
  void close(const std::string& why) {
    if (connection == nullptr)
      return;
    if (!stopped)
      log::warn("postgres pipeline connection closed",
                {{"target", target}, {"reason", why},
                 {"in_flight", static_cast<std::uint64_t>(flights.size())}});
    ++generation;
    socket->release();  // libpq owns the descriptor and closes it
    socket.reset();
    watchdog.cancel();
    PQfinish(connection);
    connection = nullptr;
    writing = false;
    prepared.clear();
    for (auto& f : flights) {
      PQclear(f.result);
      fail(std::move(f.call.handler), "postgres connection lost: " + why);
    }
    flights.clear();
    for (auto& w : std::exchange(outgoing, {}))
      fail(std::move(w.handler), "postgres connection lost: " + why);
  }

  void stop() {
    stopped = true;
    close("stopped");
    for (auto& w : std::exchange(queued, {}))
      fail(std::move(w.handler), "postgres pipeline stopped");
  }
};

pg_pipeline::pg_pipeline(asio::io_context& ioc, const config::postgres_settings& settings,
                         std::string application_name, std::chrono::milliseconds reconnect_delay)
    : pg_pipeline(std::vector<asio::io_context*>{&ioc}, settings, std::move(application_name),
                  reconnect_delay) {}

pg_pipeline::pg_pipeline(std::vector<asio::io_context*> loops,
                         const config::postgres_settings& settings, std::string application_name,
                         std::chrono::milliseconds reconnect_delay)
    : connector_(std::make_unique<connector>()) {
  connector_->parameters = connection_parameters(settings, application_name);
  // Session settings travel in the startup packet: no statement, no round trip.
  //  - statement_timeout as the pool's sessions have it;
  //  - a generic plan, made once per connection: with the default plan_cache_mode
  //    PostgreSQL plans each execution again whenever the generic plan's estimate looks
  //    worse than the custom ones' (one account with 100,000 files skews the estimates that
  //    way), and planning the list cost several times running it (measured: perf showed the
  //    backends in the planner and the list at 0.05x nginx; 0.17x with this). The
  //    pipeline's statements are keyset reads whose generic plan is the index walk.
  const std::string session_options = "-c statement_timeout=" +
                                      std::to_string(settings.statement_timeout.count()) +
                                      " -c plan_cache_mode=force_generic_plan";
  auto options = std::ranges::find_if(connector_->parameters,
                                      [](const auto& p) { return p.first == "options"; });
  if (options == connector_->parameters.end())
    connector_->parameters.emplace_back("options", session_options);
  else
    options->second += " " + session_options;
  // statement_timeout 0 (none) still gets a bound: a server silent for that long is gone.
  const steady_clock::duration limit =
      (settings.statement_timeout.count() > 0 ? settings.statement_timeout
                                              : std::chrono::milliseconds(std::chrono::minutes(10))) +
      std::chrono::seconds(5);
  for (unsigned i = 0; i < settings.read_connections; ++i) {
    asio::io_context& loop = *loops[i % loops.size()];
    links_.push_back({&loop, std::make_shared<link>(loop.get_executor(), *connector_,
                                                    reconnect_delay, limit,
                                                    describe_target(settings))});
  }
}

// A link on the caller's own loop when there is one: the statement and its answer then
// never cross threads (no wake-up of another loop, twice per statement). Otherwise the
// links in turn.
std::shared_ptr<pg_pipeline::link> pg_pipeline::link_for(const asio::any_io_executor& caller) {
  const unsigned turn = next_.fetch_add(1, std::memory_order_relaxed);
  const auto* context = &asio::query(caller, asio::execution::context);
  const std::size_t count = links_.size();
  for (std::size_t i = 0; i < count; ++i) {
    const placed& candidate = links_[(turn + i) % count];
    if (candidate.loop == context)
      return candidate.connection;
  }
  return links_[turn % count].connection;
}

pg_pipeline::~pg_pipeline() {
  stop();
}

asio::awaitable<prepared_rows> pg_pipeline::execute(
    const prepared_statement& statement, std::vector<std::optional<std::string>> parameters) {
  if (links_.empty())
    throw pg_connection_error("postgres pipeline has no connections (postgres.read_connections)");
  const asio::any_io_executor caller = co_await asio::this_coro::executor;
  auto initiate = [l = link_for(caller), &statement](auto handler,
                                           std::vector<std::optional<std::string>> values) {
    asio::post(l->strand, [l, &statement, h = completion(std::move(handler)),
                           v = std::move(values)]() mutable {
      l->submit(statement, std::move(v), std::move(h));
    });
  };
  // Named before the co_await: GCC 12 and temporaries inside co_await (asio#1007).
  auto operation = asio::async_initiate<const asio::use_awaitable_t<>&,
                                        void(std::exception_ptr, prepared_rows)>(
      std::move(initiate), asio::use_awaitable, std::move(parameters));
  co_return co_await std::move(operation);
}

void pg_pipeline::stop() {
  for (auto& [loop, l] : links_) {
    // On the link's strand while its loop runs; directly once nothing runs it any more.
    if (loop->stopped()) {
      l->stop();
      continue;
    }
    auto done = std::make_shared<std::promise<void>>();
    auto stopped = done->get_future();
    asio::post(l->strand, [l, done] {
      l->stop();
      done->set_value();
    });
    if (stopped.wait_for(std::chrono::seconds(2)) != std::future_status::ready)
      l->stop();
  }
  if (connector_)
    connector_->thread.stop();
}

}  // namespace kemas::postgres
