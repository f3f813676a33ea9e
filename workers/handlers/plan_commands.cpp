#include "workers/handlers/plan_commands.hpp"

#include "domain/rfc3339.hpp"
#include "workers/command_scheduler.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cctype>

namespace kemas::worker {
namespace {

using payload::fail;
using payload::lower;
using payload::string_field;
using payload::uuid_field;

// The plan names of 0001_initial.sql's CHECK: the handler looks them up, nothing else.
bool is_plan_name(std::string_view name) {
  if (name.empty() || name.size() > 32 || name[0] < 'a' || name[0] > 'z')
    return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

}  // namespace

boost::system::result<upgrade_payload, payload_problem> parse_upgrade_payload(
    const domain::command_envelope& command) {
  constexpr std::string_view what = "upgrade";
  auto object = payload::object_of(what, command.payload_json);
  if (!object)
    return object.error();
  auto buyer = payload::actor_user(command, what, "the buyer");
  if (!buyer)
    return buyer.error();
  auto order_id = uuid_field(*object, what, "order_id");
  if (!order_id)
    return order_id.error();
  auto plan = string_field(*object, what, "plan");
  if (!plan)
    return plan.error();
  if (!is_plan_name(*plan))
    return fail(what, "field 'plan' is not a plan name");
  return upgrade_payload{*buyer, *order_id, *plan};
}

boost::system::result<expire_payload, payload_problem> parse_expire_payload(
    const domain::command_envelope& command) {
  constexpr std::string_view what = "expire";
  auto object = payload::object_of(what, command.payload_json);
  if (!object)
    return object.error();
  auto user_id = uuid_field(*object, what, "user_id");
  if (!user_id)
    return user_id.error();
  auto due_text = string_field(*object, what, "due_at");
  if (!due_text)
    return due_text.error();
  auto due_at = parse_rfc3339(*due_text);
  if (!due_at)
    return fail(what, "field 'due_at' is not an RFC 3339 time");
  return expire_payload{*user_id, *due_at};
}

boost::system::result<sweep_payload, payload_problem> parse_sweep_payload(
    const domain::command_envelope& command) {
  constexpr std::string_view what = "expire-sweep";
  auto object = payload::object_of(what, command.payload_json);
  if (!object)
    return object.error();
  sweep_payload out;
  if (const auto* slot = object->if_contains("slot")) {
    if (!slot->is_int64() && !slot->is_uint64())
      return fail(what, "field 'slot' is not an integer");
    if (slot->is_uint64() && slot->as_uint64() > static_cast<std::uint64_t>(INT64_MAX))
      return fail(what, "field 'slot' is too large");
    out.slot = slot->is_int64() ? slot->as_int64() : static_cast<std::int64_t>(slot->as_uint64());
  }
  return out;
}

domain::command_envelope make_expire_command(std::string_view user_id, domain::timestamp due_at,
                                             std::string request_id) {
  const std::string due_text = format_rfc3339(due_at);
  domain::command_envelope command;
  command.id = derived_command_id("expire " + std::string(user_id) + " " + due_text);
  command.type = domain::command_type::expire;
  command.issued_at = due_at;
  command.request_id = std::move(request_id);
  boost::json::object payload{{"user_id", user_id}, {"due_at", due_text}};
  command.payload_json = boost::json::serialize(payload);
  return command;
}

domain::command_envelope make_sweep_command(std::int64_t slot, std::chrono::milliseconds interval,
                                            domain::timestamp now) {
  domain::command_envelope command;
  command.id = derived_command_id("expire-sweep " + std::to_string(interval.count()) + "ms " +
                                  std::to_string(slot));
  command.type = domain::command_type::expire_sweep;
  command.issued_at = now;
  command.request_id = "sweep-" + std::to_string(slot);
  boost::json::object payload{{"slot", slot}};
  command.payload_json = boost::json::serialize(payload);
  return command;
}

expiry_decision decide_expiry(std::optional<domain::timestamp> expires_at, bool due,
                              domain::timestamp due_at, domain::timestamp now) noexcept {
  if (!expires_at)
    return {expiry_action::already_free, {}};
  if (due)
    return {expiry_action::downgrade, {}};
  if (*expires_at > due_at)
    return {expiry_action::renewed, {}};
  // This command's own expiry, and the database's clock has not reached it (the worker's
  // clock runs ahead of it): wait for what is left, at least a millisecond.
  return {expiry_action::not_yet,
          std::max(std::chrono::milliseconds(1), *expires_at - now)};
}

}  // namespace kemas::worker
