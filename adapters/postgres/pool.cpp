#include "adapters/postgres/pool.hpp"

#include "adapters/postgres/conninfo.hpp"
#include "adapters/postgres/errors.hpp"
#include "adapters/postgres/native.hpp"
#include "adapters/postgres/prepared.hpp"

#include "adapters/log/logging.hpp"

#include <poll.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

namespace kemas::postgres {
namespace {

// A connection that died while idle has the server's FATAL message and/or EOF waiting in
// its socket; an idle healthy one has nothing to read. Reading what is there lets libpq
// mark the connection bad without a round trip.
bool idle_connection_alive(PGconn* conn) {
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (PQstatus(conn) != CONNECTION_OK)
      return false;
    pollfd fd{PQsocket(conn), POLLIN, 0};
    if (fd.fd < 0)
      return false;
    if (::poll(&fd, 1, 0) <= 0)
      return true;
    if (PQconsumeInput(conn) == 0)
      return false;
  }
  return PQstatus(conn) == CONNECTION_OK;
}

}  // namespace

struct pg_pool::impl {
  config::postgres_settings settings;
  std::string conninfo;
  std::string target;
  std::mutex mutex;
  std::condition_variable wake;
  std::deque<std::unique_ptr<job>> queue;
  bool stopping = false;
  std::vector<std::thread> threads;

  void worker(unsigned index);
  void connect(soci::session& session, unsigned index) const;
  void after_call(soci::session& session, std::exception_ptr& error, unsigned index) const;
};

pg_pool::pg_pool(config::postgres_settings settings, std::string application_name)
    : impl_(std::make_unique<impl>()) {
  if (settings.pool_size == 0)
    throw std::invalid_argument("postgres.pool_size must be at least 1");
  impl_->conninfo = build_conninfo(settings, application_name);
  impl_->target = describe_target(settings);
  impl_->settings = std::move(settings);
  impl_->threads.reserve(impl_->settings.pool_size);
  for (unsigned i = 0; i < impl_->settings.pool_size; ++i) {
    impl_->threads.emplace_back([state = impl_.get(), i] { state->worker(i); });
  }
}

pg_pool::~pg_pool() {
  stop();
}

unsigned pg_pool::size() const noexcept {
  return impl_->settings.pool_size;
}

void pg_pool::submit(std::unique_ptr<job> work) {
  {
    std::lock_guard lock(impl_->mutex);
    if (!impl_->stopping) {
      impl_->queue.push_back(std::move(work));
      impl_->wake.notify_one();
      return;
    }
  }
  work->complete(std::make_exception_ptr(pg_connection_error("postgres pool is stopped")));
}

void pg_pool::stop() {
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->stopping && impl_->threads.empty())
      return;
    impl_->stopping = true;
  }
  impl_->wake.notify_all();
  for (auto& thread : impl_->threads) {
    if (thread.joinable())
      thread.join();
  }
  impl_->threads.clear();
}

boost::asio::awaitable<bool> pg_pool::ping() {
  try {
    co_return co_await run([](soci::session& sql) {
      int one = 0;
      sql << "SELECT 1", soci::into(one);
      return one == 1;
    });
  } catch (const std::exception& e) {
    log::debug("postgres ping failed", {{"error", e.what()}});
  }
  co_return false;
}

void pg_pool::impl::worker(unsigned index) {
  soci::session session;
  for (;;) {
    std::unique_ptr<job> work;
    {
      std::unique_lock lock(mutex);
      wake.wait(lock, [this] { return stopping || !queue.empty(); });
      if (queue.empty())
        break;  // stopping, and the queue is drained
      work = std::move(queue.front());
      queue.pop_front();
    }
    std::exception_ptr error;
    try {
      if (PGconn* conn = native_handle(session); conn != nullptr && !idle_connection_alive(conn)) {
        log::warn("postgres connection lost while idle; reconnecting",
                  {{"connection", index}, {"target", target}});
        session.close();
      }
      if (native_handle(session) == nullptr)
        connect(session, index);
      work->invoke(session);
    } catch (...) {
      error = std::current_exception();
    }
    after_call(session, error, index);
    try {
      work->complete(error);
    } catch (const std::exception& e) {
      // Only a failing allocation or promise misuse gets here; the caller is lost either way.
      log::error("postgres pool could not deliver a result", {{"error", e.what()}});
    }
  }
  session.close();
}

void pg_pool::impl::connect(soci::session& session, unsigned index) const {
  try {
    session.close();
    forget_prepared(session);
    session.open(soci::postgresql, conninfo);
    install_notice_logger(native_handle(session));
    session << "SET statement_timeout = " + std::to_string(settings.statement_timeout.count());
  } catch (const std::exception& e) {
    session.close();
    std::string message = e.what();
    while (!message.empty() && message.back() == '\n')
      message.pop_back();
    throw pg_connection_error("cannot connect to postgres at " + target + ": " + message);
  }
  log::debug("postgres connection opened", {{"connection", index}, {"target", target}});
}

// Leaves the session clean for the next caller, and turns a failure caused by a lost
// connection into pg_connection_error, whatever SOCI made of it.
void pg_pool::impl::after_call(soci::session& session, std::exception_ptr& error,
                               unsigned index) const {
  PGconn* conn = native_handle(session);
  if (conn == nullptr)
    return;  // connect failed; already reported
  if (PQstatus(conn) != CONNECTION_OK) {
    log::warn("postgres connection broke during a call",
              {{"connection", index}, {"target", target}});
    if (error) {
      error = std::make_exception_ptr(pg_connection_error("postgres connection to " + target +
                                                          " lost: " + log::exception_text(error)));
    }
    session.close();
    return;
  }
  const auto status = PQtransactionStatus(conn);
  if (status == PQTRANS_INTRANS || status == PQTRANS_INERROR) {
    log::warn("postgres call left a transaction open; rolling it back", {{"connection", index}});
    std::unique_ptr<PGresult, decltype(&PQclear)> result(PQexec(conn, "ROLLBACK"), &PQclear);
    if (PQresultStatus(result.get()) != PGRES_COMMAND_OK)
      session.close();
  } else if (status != PQTRANS_IDLE) {
    session.close();  // a result still pending or an unknown state: start over
  }
}

}  // namespace kemas::postgres
