#pragma once
// management_api: a small client of RabbitMQ's management HTTP API (libcurl, basic auth),
// for tests that check what the broker really holds: queues with their type and arguments,
// bindings, message counts. Paths are given as the API documents them, e.g.
// "/api/queues/%2F/kemas.commands.upload"; queue(), exchange() and bindings_to_queue()
// encode names for the default vhost "/".
//
// Threading: one instance per thread. Throws std::runtime_error on transport failures and
// (get_json) on non-2xx answers, with status and body in the message.

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace kemas::test {

// Percent-encodes everything but unreserved characters (for one path segment).
std::string percent_encode(std::string_view text);

class management_api {
 public:
  management_api(std::string base_url, std::string user, std::string password);
  // KEMAS_AMQP_MANAGEMENT_URL, KEMAS_AMQP_USER, KEMAS_AMQP_PASSWORD (else from .run/env).
  static management_api from_env();

  struct response {
    long status = 0;
    std::string body;
  };

  response get(std::string_view path) const;
  response del(std::string_view path) const;
  boost::json::value get_json(std::string_view path) const;

  // nullopt when the broker answers 404.
  std::optional<boost::json::object> queue(std::string_view name) const;
  std::optional<boost::json::object> exchange(std::string_view name) const;
  boost::json::array bindings_to_queue(std::string_view name) const;

 private:
  std::optional<boost::json::object> named(std::string_view kind, std::string_view name) const;
  response request(const char* method, std::string_view path) const;

  std::string base_url_;
  std::string user_;
  std::string password_;
};

}  // namespace kemas::test
