#pragma once
// The group commit of `expire` commands (plan_command_store::apply_expiries): one transaction
// for the whole group, with statements over all its accounts at once instead of one
// transaction of ~9 statements per account. Internal to adapters/postgres/commands.

#include <span>
#include <vector>

#include "domain/ports/plan_command_store.hpp"

namespace soci {
class session;
}

namespace kemas::postgres {

// Runs in the caller's session; opens and commits its own transaction.
std::vector<ports::expiry_commit> expire_group(soci::session& sql,
                                               std::span<const ports::expiry_member> group);

}  // namespace kemas::postgres
