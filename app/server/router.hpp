#pragma once
// router: maps (method, path) to a handler. Patterns are literal segments and `{name}`
// parameters ("/api/v1/auth/files/download/{fileID}"); the pattern doubles as the metrics
// label, so the label set stays bounded whatever paths clients send.

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "app/server/http_types.hpp"
#include "domain/authorization.hpp"

namespace kemas::http {

// A handler answers with a response, or with the error to answer: the session maps every
// error to its status and JSON body in one place (error_response.hpp), with the request id.
using handler = std::function<boost::asio::awaitable<result<response>>(request_context&)>;

// Which rate-limit class a route counts against (DESIGN.md "Redis"): `auth` per client IP
// (register, login, refresh, reset); authenticated routes count `general` per user, or
// `apikey` per key when called with an API key; `none` for health and metrics.
enum class rate_class { none, auth, general };

struct route_options {
  access_rule access = access_rule::anyone();
  rate_class limit = rate_class::none;
  bool streams_body = false;  // reads its body in chunks beyond http.body_limit (uploads)
  // Polled by machines (health checks, scrapes): its request line is logged at debug, not
  // info, so probes do not flood the logs.
  bool probe = false;
  // The most PostgreSQL statements one request of this route runs, authentication included
  // (BEGIN and COMMIT count); -1 when not stated. Stated next to the route with costing() and
  // checked against the server's own count by test/integration/statement_budget_test.cpp.
  int pg_statements = -1;
  // A page or asset of the web app (app/web/), not an operation of the HTTP API: left out of
  // schemas/openapi.yaml and of the route-by-route checks made against it.
  bool web_app = false;

  route_options costing(int statements) const {
    route_options stated = *this;
    stated.pg_statements = statements;
    return stated;
  }
};

struct route {
  method verb;
  std::string pattern;
  std::vector<std::string> segments;
  handler handle;
  route_options options;
};

struct route_match {
  enum class kind { found, not_found, method_not_allowed } outcome = kind::not_found;
  const route* matched = nullptr;
  std::vector<std::pair<std::string, std::string>> params;
  std::vector<method> allowed;  // for method_not_allowed (and OPTIONS)
};

class router {
 public:
  // Registers a route; a duplicate (same method and pattern) throws std::logic_error.
  // A public route without rate limit (health, metrics).
  void add(method verb, std::string pattern, handler h);
  void add(method verb, std::string pattern, route_options options, handler h);
  route_match match(method verb, std::string_view path) const;
  const std::vector<route>& all() const noexcept { return routes_; }

 private:
  std::vector<route> routes_;
};

}  // namespace kemas::http
