#include "domain/commands/upgrade.hpp"

#include "domain/commands/payload_reader.hpp"
#include "domain/model/plan.hpp"

namespace kemas::commands {

void encode(const upgrade& command, envelope& into) {
  into.actor.user_id = command.buyer.to_string();
  into.payload = {{"order_id", command.order_id.to_string()}, {"plan", command.plan}};
}

payload_result<upgrade> decode(std::type_identity<upgrade>, const envelope& from) {
  auto buyer = actor_user(from, "the buyer");
  if (!buyer)
    return buyer.error();
  payload_reader read(upgrade::type, from.payload);
  upgrade out{*buyer, read.id("order_id"), read.text("plan")};
  if (read.failed())
    return read.problem();
  if (!model::is_plan_name(out.plan))
    return read.fail("field 'plan' is not a plan name");
  return out;
}

}  // namespace kemas::commands
