#include "domain/commands/payload_reader.hpp"

#include <boost/json/value.hpp>

#include <limits>

namespace kemas::commands {
namespace {
constexpr auto int64_max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
}  // namespace

payload_problem payload_reader::fail(std::string_view problem) const {
  return payload_problem{std::string(to_string(command_)) + " payload: " + std::string(problem)};
}

template <class T>
T payload_reader::miss(std::string_view key, std::string_view what) {
  if (!problem_)
    problem_ = fail("field '" + std::string(key) + "' " + std::string(what));
  return T{};
}

const boost::json::value* payload_reader::field(std::string_view key) {
  const auto* value = payload_.if_contains(key);
  if (value == nullptr)
    miss<int>(key, "is missing");
  return value;
}

std::string payload_reader::text(std::string_view key) {
  const auto* value = field(key);
  if (value == nullptr)
    return {};
  if (!value->is_string())
    return miss<std::string>(key, "is not a string");
  return std::string(value->get_string());
}

std::optional<std::string> payload_reader::optional_text(std::string_view key) {
  if (!payload_.contains(key))
    return std::nullopt;
  return text(key);
}

uuid payload_reader::id(std::string_view key) {
  const std::string value = text(key);
  if (failed())
    return {};
  const auto parsed = uuid::parse(value);
  return parsed ? *parsed : miss<uuid>(key, "is not a uuid");
}

timestamp payload_reader::time(std::string_view key) {
  const std::string value = text(key);
  if (failed())
    return {};
  const auto parsed = parse_rfc3339(value);
  return parsed ? *parsed : miss<timestamp>(key, "is not an RFC 3339 time");
}

std::uint64_t payload_reader::size(std::string_view key) {
  const auto* value = field(key);
  if (value == nullptr)
    return 0;
  if (value->is_int64() && value->get_int64() >= 0)
    return static_cast<std::uint64_t>(value->get_int64());
  if (value->is_uint64() && value->get_uint64() <= int64_max)
    return value->get_uint64();
  if (value->is_uint64())
    return miss<std::uint64_t>(key, "is too large");
  return miss<std::uint64_t>(key, "is not a non-negative integer");
}

std::optional<std::int64_t> payload_reader::optional_integer(std::string_view key) {
  const auto* value = payload_.if_contains(key);
  if (value == nullptr)
    return std::nullopt;
  if (value->is_int64())
    return value->get_int64();
  if (value->is_uint64() && value->get_uint64() <= int64_max)
    return static_cast<std::int64_t>(value->get_uint64());
  if (value->is_uint64())
    return miss<std::optional<std::int64_t>>(key, "is too large");
  return miss<std::optional<std::int64_t>>(key, "is not an integer");
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
