#pragma once
// The whole kemas-api (api_application: backends, services, auth guard, routes) served
// in-process on an ephemeral loopback port, against a scratch database migrated for this
// fixture and the shared Redis/RabbitMQ/S3 of scripts/services.sh.

#include <boost/asio/io_context.hpp>
#include <boost/json/object.hpp>

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "adapters/config/settings.hpp"
#include "adapters/metrics/registry.hpp"
#include "test/support/http_client.hpp"
#include "test/support/outbox_fixture.hpp"

namespace kemas::app {
class api_application;
}
namespace kemas::http {
class server;
}

namespace kemas::test {

class api_fixture {
 public:
  // `tweak` adjusts the settings (limits, TTLs) before anything starts; `extra_routes` may add
  // routes to the application's router (e.g. probes for the authorization layer).
  explicit api_fixture(const std::function<void(config::settings&)>& tweak = {},
                       const std::function<void(app::api_application&)>& extra_routes = {});
  ~api_fixture();

  // One request on a fresh connection; `json` becomes the body with Content-Type set. The
  // request comes "through a trusted proxy" from this fixture's own client address (so rate
  // limits per IP do not mix between tests sharing Redis) unless extra_headers sets one.
  raw_response call(std::string_view method, std::string_view target, std::string_view json = {},
                    std::string_view extra_headers = {}) const;

  std::uint16_t port() const noexcept { return port_; }
  const config::settings& settings() const noexcept { return settings_; }
  app::api_application& application() noexcept { return *app_; }
  const migrated_database& database() const noexcept { return db_; }
  const std::string& client_address() const noexcept { return client_ip_; }

 private:
  migrated_database db_;
  config::settings settings_;
  boost::asio::io_context ioc_;
  metrics::registry registry_{"test"};
  metrics::http_metrics http_metrics_{registry_};
  std::unique_ptr<app::api_application> app_;
  std::unique_ptr<http::server> server_;
  std::vector<std::thread> threads_;
  std::uint16_t port_ = 0;
  std::string client_ip_;
};

// "Authorization: Bearer <token>\r\n"
std::string bearer(std::string_view token);
// Every outbox row's event in the fixture's database, in insertion order.
std::vector<boost::json::object> outbox_of(const api_fixture& api);
// A response's JSON body as an object (throws when it is not one).
boost::json::object json_body(const raw_response& r);
// The same inside a test case: when the body is not an object, the failure shows the
// response's status and body.
boost::json::object parse(const raw_response& r);
// error.code of a JSON error response.
std::string error_code(const raw_response& r);

}  // namespace kemas::test
