#include "workers/audit_consumer.hpp"

#include "adapters/log/logging.hpp"
#include "domain/command.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace kemas::worker {
namespace json = boost::json;

namespace {
constexpr std::size_t max_event_bytes = 1024 * 1024;

std::string_view string_field(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  return value != nullptr && value->is_string() ? std::string_view(value->get_string())
                                                : std::string_view();
}
}  // namespace

std::optional<std::string> check_audit_event(const std::string& body) {
  if (body.size() > max_event_bytes)
    return "event larger than 1 MiB";
  json::parse_options options;
  options.max_depth = 32;
  boost::system::error_code ec;
  const json::value root = json::parse(body, ec, {}, options);
  if (ec)
    return "malformed event: not valid JSON: " + ec.message();
  if (!root.is_object())
    return std::string("malformed event: not a JSON object");
  const json::object& event = root.get_object();
  if (!domain::is_uuid_text(string_field(event, "id"))) {
    return std::string("malformed event: field 'id' missing or not a UUID");
  }
  if (string_field(event, "type").empty()) {
    return std::string("malformed event: field 'type' missing or not a non-empty string");
  }
  return std::nullopt;
}

void handle_audit_event(const amqp::delivery& message, const amqp::delivery_handle& handle) {
  if (auto problem = check_audit_event(message.body)) {
    log::warn("event dead-lettered", {{"message_id", message.message_id},
                                      {"routing_key", message.routing_key},
                                      {"reason", *problem}});
    handle.dead_letter(*problem);
    return;
  }
  const json::object event = json::parse(message.body).as_object();
  log::info("event received", {{"request_id", string_field(event, "request_id")},
                               {"event_id", string_field(event, "id")},
                               {"type", string_field(event, "type")},
                               {"routing_key", message.routing_key}});
  handle.ack();
}

}  // namespace kemas::worker
