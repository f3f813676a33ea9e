#include "domain/commands/payload_reader.hpp"

#include <boost/json/value.hpp>

#include <limits>

namespace kemas::commands {

payload_problem payload_reader::fail(std::string_view problem) const {
  return payload_problem{std::string(to_string(command_)) + " payload: " + std::string(problem)};
}

payload_result<std::string> payload_reader::text(std::string_view key) const {
  const auto* value = payload_.if_contains(key);
  if (value == nullptr)
    return fail("field '" + std::string(key) + "' is missing");
  if (!value->is_string())
    return fail("field '" + std::string(key) + "' is not a string");
  return payload_result<std::string>(boost::system::in_place_value, value->get_string());
}

payload_result<std::optional<std::string>> payload_reader::optional_text(
    std::string_view key) const {
  if (!payload_.contains(key))
    return payload_result<std::optional<std::string>>(boost::system::in_place_value);
  auto value = text(key);
  if (!value)
    return value.error();
  return payload_result<std::optional<std::string>>(boost::system::in_place_value,
                                                    std::move(*value));
}

payload_result<uuid> payload_reader::id(std::string_view key) const {
  auto value = text(key);
  if (!value)
    return value.error();
  const auto parsed = uuid::parse(*value);
  if (!parsed)
    return fail("field '" + std::string(key) + "' is not a uuid");
  return *parsed;
}

payload_result<timestamp> payload_reader::time(std::string_view key) const {
  auto value = text(key);
  if (!value)
    return value.error();
  const auto parsed = parse_rfc3339(*value);
  if (!parsed)
    return fail("field '" + std::string(key) + "' is not an RFC 3339 time");
  return *parsed;
}

payload_result<std::uint64_t> payload_reader::size(std::string_view key) const {
  const auto* value = payload_.if_contains(key);
  if (value == nullptr)
    return fail("field '" + std::string(key) + "' is missing");
  constexpr auto max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (value->is_int64() && value->get_int64() >= 0)
    return static_cast<std::uint64_t>(value->get_int64());
  if (value->is_uint64()) {
    if (value->get_uint64() > max)
      return fail("field '" + std::string(key) + "' is too large");
    return value->get_uint64();
  }
  return fail("field '" + std::string(key) + "' is not a non-negative integer");
}

payload_result<std::optional<std::int64_t>> payload_reader::optional_integer(
    std::string_view key) const {
  const auto* value = payload_.if_contains(key);
  if (value == nullptr)
    return std::optional<std::int64_t>();
  if (value->is_int64())
    return std::optional<std::int64_t>(value->get_int64());
  if (value->is_uint64()) {
    if (value->get_uint64() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      return fail("field '" + std::string(key) + "' is too large");
    return std::optional<std::int64_t>(static_cast<std::int64_t>(value->get_uint64()));
  }
  return fail("field '" + std::string(key) + "' is not an integer");
}

payload_result<uuid> actor_user(const envelope& command, std::string_view who) {
  const auto parsed = command.actor.user_id ? uuid::parse(*command.actor.user_id) : std::nullopt;
  if (!parsed) {
    return payload_problem{std::string(to_string(command.type)) + " command: actor.user_id (" +
                           std::string(who) + ") is missing"};
  }
  return *parsed;
}

}  // namespace kemas::commands
