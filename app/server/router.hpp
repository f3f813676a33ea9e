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

namespace kemas::http {

using handler = std::function<boost::asio::awaitable<response>(request_context&)>;

struct route {
  method verb;
  std::string pattern;
  std::vector<std::string> segments;
  handler handle;
  bool streams_body = false;  // reads its body in chunks beyond http.body_limit (uploads)
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
  void add(method verb, std::string pattern, handler h);
  // A route whose handler streams a body larger than http.body_limit (it enforces its own).
  void add_streaming(method verb, std::string pattern, handler h);
  route_match match(method verb, std::string_view path) const;

 private:
  std::vector<route> routes_;
};

}  // namespace kemas::http
