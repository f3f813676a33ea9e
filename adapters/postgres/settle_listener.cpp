#include "adapters/postgres/settle_listener.hpp"
#include "adapters/postgres/native.hpp"

#include <libpq-fe.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <system_error>
#include <thread>
#include <vector>

#include "adapters/log/logging.hpp"
#include "adapters/postgres/conninfo.hpp"
#include "adapters/postgres/settle_channel.hpp"
#include "adapters/support/settle_registry.hpp"

namespace kemas::postgres {
namespace {

using std::chrono::milliseconds;

struct pg_connection_deleter {
  void operator()(PGconn* conn) const noexcept { PQfinish(conn); }
};
using pg_connection = std::unique_ptr<PGconn, pg_connection_deleter>;

std::string error_of(PGconn* conn) {
  std::string text = conn != nullptr ? PQerrorMessage(conn) : "out of memory";
  while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
    text.pop_back();
  return text;
}

}  // namespace

struct settle_listener::impl {
  std::vector<std::pair<std::string, std::string>> parameters;
  std::string target;
  support::settle_registry waiting;
  std::atomic<bool> connected{false};
  std::atomic<bool> stopping{false};
  int stop_pipe[2] = {-1, -1};
  std::thread thread;

  pg_connection connect() const {
    pg_connection conn(connect_with(parameters));
    if (!conn || PQstatus(conn.get()) != CONNECTION_OK) {
      log::warn("settle listener cannot connect to postgres; waiting requests poll meanwhile",
                {{"target", target}, {"error", error_of(conn.get())}});
      return nullptr;
    }
    PGresult* listen = PQexec(conn.get(), "LISTEN " KEMAS_SETTLE_CHANNEL);
    const bool ok = PQresultStatus(listen) == PGRES_COMMAND_OK;
    PQclear(listen);
    if (!ok) {
      log::warn("settle listener: LISTEN failed", {{"error", error_of(conn.get())}});
      return nullptr;
    }
    return conn;
  }

  // Until the connection fails or stop(): wake the subscribers of each notification.
  void listen(PGconn* conn) {
    pollfd fds[2] = {{PQsocket(conn), POLLIN, 0}, {stop_pipe[0], POLLIN, 0}};
    while (!stopping.load()) {
      fds[0].revents = fds[1].revents = 0;
      if (::poll(fds, 2, -1) < 0) {
        if (errno == EINTR)
          continue;
        log::error("settle listener: poll failed", {{"errno", errno}});
        return;
      }
      if (fds[1].revents != 0)
        return;
      if (PQconsumeInput(conn) == 0) {
        log::warn("settle listener lost its postgres connection; reconnecting",
                  {{"error", error_of(conn)}});
        return;
      }
      while (PGnotify* note = PQnotifies(conn)) {
        waiting.signal(note->extra);
        PQfreemem(note);
      }
    }
  }

  void sleep_for(milliseconds pause) {
    pollfd stop{stop_pipe[0], POLLIN, 0};
    ::poll(&stop, 1, static_cast<int>(pause.count()));
  }

  void run() {
    milliseconds pause(250);
    while (!stopping.load()) {
      pg_connection conn = connect();
      if (!conn) {
        sleep_for(pause);
        pause = std::min(pause * 2, milliseconds(5'000));
        continue;
      }
      pause = milliseconds(250);
      connected.store(true);
      log::debug("settle listener connected", {{"target", target}});
      waiting.signal_all();  // anything settled while we were away was not heard
      listen(conn.get());
      connected.store(false);
      waiting.signal_all();  // waiters switch to polling until the next connect
    }
  }
};

settle_listener::settle_listener(const config::postgres_settings& settings,
                                 std::string application_name)
    : impl_(std::make_unique<impl>()) {
  impl_->parameters = connection_parameters(settings, application_name);
  // A peer gone without a FIN or RST (a dead host) is found within ~1 minute, not hours.
  impl_->parameters.emplace_back("keepalives", "1");
  impl_->parameters.emplace_back("keepalives_idle", "30");
  impl_->parameters.emplace_back("keepalives_interval", "10");
  impl_->parameters.emplace_back("keepalives_count", "3");
  impl_->target = describe_target(settings);
  if (::pipe(impl_->stop_pipe) != 0)
    throw std::system_error(errno, std::generic_category(), "settle listener: pipe");
  impl_->thread = std::thread([this] { impl_->run(); });
}

settle_listener::~settle_listener() { stop(); }

void settle_listener::stop() {
  if (!impl_->thread.joinable())
    return;
  impl_->stopping.store(true);
  const char byte = 0;
  [[maybe_unused]] auto written = ::write(impl_->stop_pipe[1], &byte, 1);
  impl_->thread.join();
  ::close(impl_->stop_pipe[0]);
  ::close(impl_->stop_pipe[1]);
  impl_->waiting.signal_all();  // waiters read once more, then poll (live() is false)
}

std::unique_ptr<ports::settle_subscription> settle_listener::subscribe(const uuid& id) {
  return impl_->waiting.subscribe(id);
}

bool settle_listener::live() const noexcept { return impl_->connected.load(); }

}  // namespace kemas::postgres
