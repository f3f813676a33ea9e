#pragma once
// The `upgrade` command: the actor buys a plan. Schema: schemas/commands/upgrade.schema.json.
// From POST /auth/billing/upgrade (app/services/billing_service); applied by
// workers/handlers/upgrade_handler.
//
//   {"order_id": uuid, "plan": "premium"}
// The buyer is always the envelope's actor.user_id; the orders row gets order_id as its id
// (the api chose it, so it can wait for that row).

#include <string>
#include <type_traits>

#include "domain/commands/envelope.hpp"
#include "domain/uuid.hpp"

namespace kemas::commands {

struct upgrade {
  static constexpr command_type type = command_type::upgrade;

  uuid buyer;  // actor.user_id
  uuid order_id;
  std::string plan;  // a plan name (model::is_plan_name)

  bool operator==(const upgrade&) const = default;
};

// Writes the payload and actor.user_id = buyer.
void encode(const upgrade& command, envelope& into);
payload_result<upgrade> decode(std::type_identity<upgrade>, const envelope& from);

}  // namespace kemas::commands
