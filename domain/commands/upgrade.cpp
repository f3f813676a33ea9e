#include "domain/commands/upgrade.hpp"

#include "domain/commands/payload_reader.hpp"
#include "domain/model/plan.hpp"

namespace kemas::commands {

void encode(const upgrade& command, envelope& into) {
  into.actor.user_id = command.buyer.to_string();
  into.payload = {{"order_id", command.order_id.to_string()}, {"plan", command.plan}};
}

payload_result<upgrade> decode(std::type_identity<upgrade>, const envelope& from) {
  const payload_reader read(upgrade::type, from.payload);
  auto buyer = actor_user(from, "the buyer");
  if (!buyer)
    return buyer.error();
  auto order_id = read.id("order_id");
  if (!order_id)
    return order_id.error();
  auto plan = read.text("plan");
  if (!plan)
    return plan.error();
  if (!model::is_plan_name(*plan))
    return read.fail("field 'plan' is not a plan name");
  return upgrade{*buyer, *order_id, std::move(*plan)};
}

}  // namespace kemas::commands
