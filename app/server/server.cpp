#include "app/server/server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "adapters/log/logging.hpp"
#include "adapters/metrics/registry.hpp"
#include "app/server/io_loops.hpp"
#include "app/server/server_state.hpp"

namespace kemas::http {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct server::impl : std::enable_shared_from_this<server::impl> {
  std::shared_ptr<server_state> state;
  tcp::acceptor acceptor;
  asio::steady_timer grace_timer;

  io_loops* loops;

  impl(asio::io_context& ioc, const config::http_settings& settings, config::environment env,
       const router& routes, metrics::http_metrics& metrics, request_guard* guard,
       io_loops* connection_loops)
      : state(std::make_shared<server_state>(ioc, settings, env, routes, metrics, guard)),
        acceptor(asio::make_strand(ioc)),
        grace_timer(ioc),
        loops(connection_loops) {}

  // Where the next connection lives.
  asio::any_io_executor next_executor() const {
    return loops != nullptr ? loops->next_executor() : asio::make_strand(state->ioc);
  }
};

namespace {

// Refuses a connection over http.max_connections with a canned 503, without a coroutine.
void refuse(tcp::socket& socket) {
  static constexpr std::string_view busy =
      "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\n"
      "Retry-After: 1\r\nContent-Length: 89\r\n\r\n"
      "{\"error\":{\"code\":\"backend_unavailable\",\"message\":\"too many "
      "connections\",\"request_id\":\"\"}}";
  boost::system::error_code ignored;
  socket.non_blocking(true, ignored);
  socket.write_some(asio::buffer(busy), ignored);
  socket.close(ignored);
}

asio::awaitable<void> accept_loop(std::shared_ptr<server::impl> self) {
  auto& state = *self->state;
  for (;;) {
    auto executor = self->next_executor();
    auto [ec, accepted] =
        co_await self->acceptor.async_accept(executor, asio::as_tuple(asio::use_awaitable));
    tcp::socket socket(std::move(accepted));
    if (ec == asio::error::operation_aborted || !self->acceptor.is_open())
      break;
    if (ec) {
      log::warn("accept failed", {{"error", ec.message()}});
      continue;  // e.g. EMFILE: keep serving the connections we have
    }
    if (state.connections.size() >= state.settings.max_connections) {
      state.metrics.connection_refused();
      refuse(socket);
      continue;
    }
    boost::system::error_code nodelay_ec;
    socket.set_option(tcp::no_delay(true), nodelay_ec);
    asio::co_spawn(socket.get_executor(), serve_connection(std::move(socket), self->state), log::log_failure{"connection ended by an exception"});
  }
}

}  // namespace

server::server(asio::io_context& ioc, const config::http_settings& settings,
               config::environment env, const router& routes, metrics::http_metrics& metrics,
               request_guard* guard, io_loops* loops)
    : impl_(std::make_shared<impl>(ioc, settings, env, routes, metrics, guard, loops)) {}

server::~server() {
  boost::system::error_code ignored;
  impl_->acceptor.close(ignored);
}

std::uint16_t server::start() {
  const auto& s = impl_->state->settings;
  const tcp::endpoint endpoint(asio::ip::make_address(s.host), s.port);
  auto& acceptor = impl_->acceptor;
  acceptor.open(endpoint.protocol());
  acceptor.set_option(asio::socket_base::reuse_address(true));
  acceptor.bind(endpoint);
  acceptor.listen(asio::socket_base::max_listen_connections);
  const auto port = acceptor.local_endpoint().port();
  asio::co_spawn(acceptor.get_executor(), accept_loop(impl_), log::log_failure{"connection ended by an exception"});
  log::info("listening", {{"address", s.host}, {"port", static_cast<std::int64_t>(port)}});
  return port;
}

void server::shutdown(std::chrono::milliseconds grace, std::function<void()> done) {
  auto self = impl_;
  asio::post(self->acceptor.get_executor(), [self, grace, done = std::move(done)]() mutable {
    boost::system::error_code ignored;
    self->acceptor.close(ignored);
    auto& connections = self->state->connections;
    connections.start_draining();
    connections.close_idle(self);
    log::info("shutting down", {{"open_connections", static_cast<std::int64_t>(connections.size())},
                                {"grace_ms", static_cast<std::int64_t>(grace.count())}});
    self->grace_timer.expires_after(grace);
    self->grace_timer.async_wait([self](boost::system::error_code ec) {
      if (!ec)
        self->state->connections.close_all(self);
    });
    connections.when_empty([self, done = std::move(done)] {
      asio::post(self->state->ioc, [self, done] {
        self->grace_timer.cancel();
        if (done)
          done();
      });
    });
  });
}

std::size_t server::open_connections() const noexcept {
  return impl_->state->connections.size();
}

}  // namespace kemas::http
