#pragma once
// Reading a command's JSON payload field by field, with the dead-letter reason spelled the
// same way for every command type: "<type> payload: field 'x' is missing". Used by the
// payload parsers (file_payloads.cpp, plan_commands.cpp). Pure functions, thread-safe.

#include "domain/command.hpp"

#include <boost/json/object.hpp>
#include <boost/system/result.hpp>

#include <string>
#include <string_view>

namespace kemas::worker {

// Why a payload is unusable, for the dead-letter reason ("upload payload: field 'size': ...").
struct payload_problem {
  std::string reason;
};

namespace payload {

using text_result = boost::system::result<std::string, payload_problem>;

// "<what> payload: <problem>".
payload_problem fail(std::string_view what, std::string_view problem);

// ASCII lower case (uuids are compared and stored in lower case).
std::string lower(std::string text);

// The payload text as a JSON object, or why it is not one.
boost::system::result<boost::json::object, payload_problem> object_of(std::string_view what,
                                                                      const std::string& json);

// A required string field.
text_result string_field(const boost::json::object& payload, std::string_view what,
                         std::string_view key);
// A required uuid field, returned in lower case.
text_result uuid_field(const boost::json::object& payload, std::string_view what,
                       std::string_view key);
// The envelope's actor.user_id in lower case; `who` names the role in the reason
// ("<what> command: actor.user_id (the owner) is missing").
text_result actor_user(const domain::command_envelope& command, std::string_view what,
                       std::string_view who);

}  // namespace payload
}  // namespace kemas::worker
