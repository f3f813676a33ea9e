#include "test/support/api_fixture.hpp"

#include <doctest/doctest.h>

#include <boost/json/parse.hpp>

#include <future>

#include "adapters/support/random.hpp"
#include "app/composition/api_application.hpp"
#include "adapters/postgres/pool.hpp"
#include "app/server/server.hpp"
#include "test/support/test_settings.hpp"

namespace kemas::test {

api_fixture::api_fixture(const std::function<void(config::settings&)>& tweak,
                         const std::function<void(app::api_application&)>& extra_routes)
    : db_("api"), settings_(test_settings()) {
  settings_.postgres = db_.settings();
  settings_.http.host = "127.0.0.1";
  settings_.http.port = 0;
  // Cheap hashes keep the suite fast; the bench measures the real cost.
  settings_.auth.argon2_memory_kib = 1024;
  settings_.auth.argon2_iterations = 1;
  settings_.http.trusted_proxies = {"127.0.0.1"};
  unsigned char b[3];
  support::random_bytes(b, sizeof b);
  client_ip_ =
      "10." + std::to_string(b[0]) + "." + std::to_string(b[1]) + "." + std::to_string(b[2]);
  if (tweak)
    tweak(settings_);
  app_ = std::make_unique<app::api_application>(ioc_, settings_, registry_);
  if (extra_routes)
    extra_routes(*app_);
  server_ = std::make_unique<http::server>(ioc_, settings_.http, settings_.env, app_->routes(),
                                           http_metrics_, &app_->guard());
  port_ = server_->start();
  for (int i = 0; i < 2; ++i)
    threads_.emplace_back([this] { ioc_.run(); });
}

api_fixture::~api_fixture() {
  auto done = std::make_shared<std::promise<void>>();
  auto future = done->get_future();
  server_->shutdown(std::chrono::milliseconds(500), [done] { done->set_value(); });
  future.wait_for(std::chrono::seconds(5));
  app_->stop();
  ioc_.stop();
  for (auto& t : threads_)
    t.join();
}

raw_response api_fixture::call(std::string_view method, std::string_view target,
                               std::string_view json, std::string_view extra_headers) const {
  std::string headers(extra_headers);
  if (headers.find("X-Forwarded-For") == std::string::npos)
    headers += "X-Forwarded-For: " + client_ip_ + "\r\n";
  if (!json.empty())
    headers += "Content-Type: application/json\r\n";
  return http_request(port_, method, target, json, headers);
}

boost::json::object json_body(const raw_response& r) { return boost::json::parse(r.body).as_object(); }

boost::json::object parse(const raw_response& r) {
  INFO(r.status << " " << r.body);
  return json_body(r);
}

std::string error_code(const raw_response& r) {
  return std::string(json_body(r).at("error").at("code").as_string());
}

std::vector<boost::json::object> outbox_of(const api_fixture& api) {
  postgres::pg_pool pool(api.database().settings(), "kemas-test");
  auto rows = pool.with_session([](soci::session& sql) { return outbox_events(sql); });
  pool.stop();
  return rows;
}

std::string bearer(std::string_view token) {
  return "Authorization: Bearer " + std::string(token) + "\r\n";
}

}  // namespace kemas::test
