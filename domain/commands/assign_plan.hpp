#pragma once
// The `assign-plan` command: an admin puts an account on a plan, with an end or without, no
// payment involved. Schema: schemas/commands/assign-plan.schema.json. From
// PATCH /api/v1/admin/users/{id} (app/services/admin_service); applied by
// workers/handlers/assign_plan_handler.
//
//   {"assignment_id": uuid, "user_id": uuid, "plan": "premium", "expires_at": RFC 3339 | null}
// actor.user_id is the admin. The api chose assignment_id and waits for its settle signal.

#include <optional>
#include <string>
#include <type_traits>

#include "domain/commands/envelope.hpp"
#include "domain/uuid.hpp"

namespace kemas::commands {

struct assign_plan {
  static constexpr command_type type = command_type::assign_plan;

  uuid admin;  // actor.user_id
  uuid assignment_id;
  uuid user_id;
  std::string plan;                     // a plan name (model::is_plan_name)
  std::optional<timestamp> expires_at;  // nullopt: the plan does not end

  bool operator==(const assign_plan&) const = default;
};

// Writes the payload and actor.user_id = admin.
void encode(const assign_plan& command, envelope& into);
payload_result<assign_plan> decode(std::type_identity<assign_plan>, const envelope& from);

}  // namespace kemas::commands
