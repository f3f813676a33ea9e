#include "workers/handlers/payload_fields.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cctype>

namespace kemas::worker::payload {

payload_problem fail(std::string_view what, std::string_view problem) {
  return payload_problem{std::string(what) + " payload: " + std::string(problem)};
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

boost::system::result<boost::json::object, payload_problem> object_of(std::string_view what,
                                                                      const std::string& json) {
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(json, ec);
  if (ec)
    return fail(what, "not JSON: " + ec.message());
  if (!value.is_object())
    return fail(what, "not a JSON object");
  return std::move(value.as_object());
}

text_result string_field(const boost::json::object& payload, std::string_view what,
                         std::string_view key) {
  const auto* v = payload.if_contains(key);
  if (v == nullptr)
    return fail(what, "field '" + std::string(key) + "' is missing");
  if (!v->is_string())
    return fail(what, "field '" + std::string(key) + "' is not a string");
  return text_result(boost::system::in_place_value, std::string(v->as_string()));
}

text_result uuid_field(const boost::json::object& payload, std::string_view what,
                       std::string_view key) {
  auto text = string_field(payload, what, key);
  if (!text)
    return text;
  if (!domain::is_uuid_text(*text))
    return fail(what, "field '" + std::string(key) + "' is not a uuid");
  return text_result(boost::system::in_place_value, lower(std::move(*text)));
}

text_result actor_user(const domain::command_envelope& command, std::string_view what,
                       std::string_view who) {
  if (!command.actor.user_id || !domain::is_uuid_text(*command.actor.user_id)) {
    return payload_problem{std::string(what) + " command: actor.user_id (" + std::string(who) +
                           ") is missing"};
  }
  return text_result(boost::system::in_place_value, lower(*command.actor.user_id));
}

}  // namespace kemas::worker::payload
