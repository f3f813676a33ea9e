#include "domain/commands/assign_plan.hpp"

#include "domain/commands/payload_reader.hpp"
#include "domain/model/plan.hpp"

namespace kemas::commands {

void encode(const assign_plan& command, envelope& into) {
  into.actor.user_id = command.admin.to_string();
  into.payload = {
      {"assignment_id", command.assignment_id.to_string()},
      {"user_id", command.user_id.to_string()},
      {"plan", command.plan},
      {"expires_at", command.expires_at ? boost::json::value(format_rfc3339(*command.expires_at))
                                        : boost::json::value(nullptr)}};
}

payload_result<assign_plan> decode(std::type_identity<assign_plan>, const envelope& from) {
  auto admin = actor_user(from, "the admin");
  if (!admin)
    return admin.error();
  payload_reader read(assign_plan::type, from.payload);
  assign_plan out{*admin, read.id("assignment_id"), read.id("user_id"), read.text("plan"),
                  std::nullopt};
  if (read.failed())
    return read.problem();
  if (!model::is_plan_name(out.plan))
    return read.fail("field 'plan' is not a plan name");
  const auto* expires = from.payload.if_contains("expires_at");
  if (expires == nullptr)
    return read.fail("field 'expires_at' is missing (null: the plan does not end)");
  if (!expires->is_null()) {
    out.expires_at = expires->is_string() ? parse_rfc3339(expires->get_string()) : std::nullopt;
    if (!out.expires_at)
      return read.fail("field 'expires_at' is not an RFC 3339 time or null");
  }
  return out;
}

}  // namespace kemas::commands
