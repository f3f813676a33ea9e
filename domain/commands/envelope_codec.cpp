#include "domain/commands/envelope_codec.hpp"

#include <cmath>

#include "domain/enum_names.hpp"

#include "domain/rfc3339.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <optional>
#include <stdexcept>

namespace kemas::commands {
namespace json = boost::json;
namespace {

envelope_problem problem(envelope_error code, std::string message) {
  return {code, std::move(message)};
}

// The value as JSON for an error message, cut short so a reason header stays small.
std::string quoted(const json::value& value) {
  std::string text = json::serialize(value);
  if (text.size() > 80)
    text = text.substr(0, 77) + "...";
  return text;
}

const char* kind_name(json::kind kind) {
  switch (kind) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return "boolean";
    case json::kind::int64:
    case json::kind::uint64:
      return "integer";
    case json::kind::double_:
      return "number";
    case json::kind::string:
      return "string";
    case json::kind::array:
      return "array";
    case json::kind::object:
      return "object";
  }
  return "value";
}

using field_result = boost::system::result<const json::value*, envelope_problem>;

field_result required(const json::object& object, std::string_view name, json::kind kind,
                      std::string_view path) {
  const json::value* value = object.if_contains(name);
  if (value == nullptr) {
    return problem(envelope_error::missing_field, "missing field '" + std::string(path) + "'");
  }
  const bool integer_ok = kind == json::kind::int64 && value->is_uint64();
  if (value->kind() != kind && !integer_ok) {
    return problem(envelope_error::wrong_type, "field '" + std::string(path) + "': expected " +
                                                   kind_name(kind) + ", got " +
                                                   kind_name(value->kind()));
  }
  return value;
}

// An optional string that may also be null or absent.
boost::system::result<std::optional<std::string>, envelope_problem> nullable_string(
    const json::object& object, std::string_view name, std::string_view path) {
  const json::value* value = object.if_contains(name);
  if (value == nullptr || value->is_null())
    return std::optional<std::string>();
  if (!value->is_string()) {
    return problem(envelope_error::wrong_type, "field '" + std::string(path) +
                                                   "': expected string or null, got " +
                                                   kind_name(value->kind()));
  }
  return std::optional<std::string>(std::string(value->get_string()));
}

std::optional<envelope_problem> only_known_fields(const json::object& object,
                                                  std::initializer_list<std::string_view> known,
                                                  std::string_view prefix) {
  for (const auto& member : object) {
    if (std::find(known.begin(), known.end(), member.key()) == known.end()) {
      return problem(envelope_error::unexpected_field,
                     "unexpected field '" + std::string(prefix) + std::string(member.key()) + "'");
    }
  }
  return std::nullopt;
}

}  // namespace

const char* to_string(envelope_error code) noexcept {
  static constexpr auto names = ordinal_table<envelope_error::bad_request_id>(
      {"too_big", "not_json", "not_object", "missing_field", "wrong_type", "unexpected_field",
       "bad_uuid", "unknown_type", "unsupported_version", "bad_timestamp", "bad_request_id"});
  return name_of(names, code).data();
}

void throw_exception_from_error(const envelope_problem& problem, const boost::source_location&) {
  throw std::runtime_error(problem.message);
}

// Boost.JSON reads a number beyond a double's range (1e999) as infinity, and writes infinity
// as text that is not JSON: such an envelope would not survive being encoded again (found by
// test/fuzz/command_envelope). Recursion is bounded by the parser's max_depth.
namespace {
bool numbers_finite(const json::value& v) {
  if (v.is_double())
    return std::isfinite(v.get_double());
  if (const auto* o = v.if_object()) {
    for (const auto& [key, child] : *o) {
      if (!numbers_finite(child))
        return false;
    }
  }
  if (const auto* a = v.if_array()) {
    for (const auto& child : *a) {
      if (!numbers_finite(child))
        return false;
    }
  }
  return true;
}
}  // namespace

boost::system::result<envelope, envelope_problem> decode_envelope(std::string_view text,
                                                                  const decode_limits& limits) {
  if (text.size() > limits.max_bytes) {
    return problem(envelope_error::too_big, "message of " + std::to_string(text.size()) +
                                                " bytes exceeds the limit of " +
                                                std::to_string(limits.max_bytes));
  }
  json::parse_options options;
  options.max_depth = limits.max_depth;
  boost::system::error_code ec;
  json::value root = json::parse(text, ec, {}, options);
  if (ec) {
    return problem(envelope_error::not_json, "not valid JSON: " + ec.message());
  }
  if (!numbers_finite(root))
    return problem(envelope_error::not_json, "a number is out of range");
  if (!root.is_object()) {
    return problem(envelope_error::not_object,
                   std::string("not a JSON object but ") + kind_name(root.kind()));
  }
  json::object& object = root.get_object();
  if (auto bad = only_known_fields(
          object, {"id", "type", "version", "issued_at", "request_id", "actor", "payload"}, "")) {
    return *bad;
  }

  envelope decoded;

  auto id = required(object, "id", json::kind::string, "id");
  if (!id)
    return id.error();
  decoded.id = std::string((*id)->get_string());
  if (!is_uuid_text(decoded.id)) {
    return problem(envelope_error::bad_uuid, "field 'id': not a UUID: " + quoted(**id));
  }

  auto type = required(object, "type", json::kind::string, "type");
  if (!type)
    return type.error();
  const auto command = command_type_from_string((*type)->get_string());
  if (!command) {
    return problem(envelope_error::unknown_type,
                   "field 'type': unknown command type " + quoted(**type));
  }
  decoded.type = *command;

  auto version = required(object, "version", json::kind::int64, "version");
  if (!version)
    return version.error();
  const auto number = (*version)->to_number<std::int64_t>(ec);
  if (ec || number != envelope_version) {
    return problem(envelope_error::unsupported_version, "field 'version': " + quoted(**version) +
                                                            " is not supported (this worker "
                                                            "understands " +
                                                            std::to_string(envelope_version) + ")");
  }
  decoded.version = static_cast<int>(number);

  auto issued_at = required(object, "issued_at", json::kind::string, "issued_at");
  if (!issued_at)
    return issued_at.error();
  const auto when = parse_rfc3339((*issued_at)->get_string());
  if (!when) {
    return problem(envelope_error::bad_timestamp,
                   "field 'issued_at': not an RFC 3339 timestamp: " + quoted(**issued_at));
  }
  decoded.issued_at = *when;

  auto request_id = required(object, "request_id", json::kind::string, "request_id");
  if (!request_id)
    return request_id.error();
  decoded.request_id = std::string((*request_id)->get_string());
  if (!is_valid_request_id(decoded.request_id)) {
    return problem(
        envelope_error::bad_request_id,
        "field 'request_id': must be 1-128 visible ASCII characters: " + quoted(**request_id));
  }

  auto actor = required(object, "actor", json::kind::object, "actor");
  if (!actor)
    return actor.error();
  const json::object& actor_object = (*actor)->get_object();
  if (auto bad = only_known_fields(actor_object, {"user_id", "ip"}, "actor."))
    return *bad;
  auto user_id = nullable_string(actor_object, "user_id", "actor.user_id");
  if (!user_id)
    return user_id.error();
  if (*user_id && !is_uuid_text(**user_id)) {
    return problem(envelope_error::bad_uuid,
                   "field 'actor.user_id': not a UUID: " + quoted(actor_object.at("user_id")));
  }
  auto ip = nullable_string(actor_object, "ip", "actor.ip");
  if (!ip)
    return ip.error();
  decoded.actor = {std::move(*user_id), std::move(*ip)};

  auto payload = required(object, "payload", json::kind::object, "payload");
  if (!payload)
    return payload.error();
  decoded.payload = std::move(object["payload"].get_object());
  return decoded;
}

namespace {

json::object document_of(const envelope& command) {
  json::object actor;
  actor["user_id"] = command.actor.user_id ? json::value(*command.actor.user_id) : nullptr;
  actor["ip"] = command.actor.ip ? json::value(*command.actor.ip) : nullptr;
  json::object object;
  object["id"] = command.id;
  object["type"] = to_string(command.type);
  object["version"] = command.version;
  object["issued_at"] = format_rfc3339(command.issued_at);
  object["request_id"] = command.request_id;
  object["actor"] = std::move(actor);
  return object;
}

}  // namespace

std::string encode_envelope(const envelope& command) {
  json::object object = document_of(command);
  object["payload"] = command.payload;
  return json::serialize(object);
}

std::string encode_envelope(envelope&& command) {
  json::object object = document_of(command);
  object["payload"] = std::move(command.payload);
  return json::serialize(object);
}

}  // namespace kemas::commands
