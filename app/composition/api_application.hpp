#pragma once
// api_application: kemas-api assembled from settings — backends, account services, the
// auth guard and every route group. kemas-api's main and the HTTP integration tests build
// the same object, so the tests exercise the real wiring.

#include <memory>
#include <vector>

#include "adapters/config/settings.hpp"
#include "app/server/router.hpp"
#include "domain/non_copyable.hpp"

namespace boost::asio {
class io_context;
}
namespace kemas::metrics {
class registry;
}

namespace kemas::http {
class request_guard;
}

namespace kemas::app {

class api_backends;

class api_application : kemas::non_copyable {
 public:
  // `connection_loops`: the io_contexts HTTP connections live on (app/server/io_loops); the
  // Redis client and the read pipeline keep connections on each, so a request's backend
  // calls stay on its thread. Empty: everything on `ioc`.
  api_application(boost::asio::io_context& ioc, const config::settings& settings,
                  metrics::registry& registry,
                  std::vector<boost::asio::io_context*> connection_loops = {});
  ~api_application();

  http::router& routes() noexcept;
  http::request_guard& guard() noexcept;
  api_backends& backends() noexcept;

  // Start-up work that must not delay the first request (the dummy password hash).
  void warm_up();
  // Completes or fails what is pending and releases the backends; call after the server stopped.
  void stop();

 private:
  struct parts;
  std::unique_ptr<parts> parts_;
};

}  // namespace kemas::app
