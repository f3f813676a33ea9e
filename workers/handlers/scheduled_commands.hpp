#pragma once
// The commands the workers issue themselves (no user behind them): the `expire` of an
// account's paid plan and the scheduler's periodic `expire-sweep`. Their ids are derived from
// what makes them the same command, so every producer of "the expire of account A at time T"
// publishes the same id and processed_commands applies it once. Pure, thread-safe.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "domain/commands/envelope.hpp"
#include "domain/uuid.hpp"

namespace kemas::worker {

// A command id derived from `name`: the same name gives the same id. A UUID of version 8
// (RFC 9562) built from SHA-256 of the name; lower-case text.
std::string derived_command_id(std::string_view name);

// The `expire` command of `user` for the expiry `due_at` (domain/commands/expire.hpp). Its id
// is derived from both (commands::identity_of), so the upgrade's scheduled expire, a sweep's
// and a re-delayed copy of either are one command. `request_id` traces it back to its cause
// (the upgrade's request, the sweep). `issued_at` = `due_at`, the moment the command is meant
// for: kemas_command_latency_seconds{type="expire"} then measures how late after the plan's
// end the downgrade committed, not how long the command sat in the delay queues.
commands::envelope make_expire_command(const uuid& user, timestamp due_at, std::string request_id);

// The scheduler role's `expire-sweep` for `slot` of an `interval`-long period: id derived from
// both, request_id "sweep-<slot>".
commands::envelope make_sweep_command(std::int64_t slot, std::chrono::milliseconds interval,
                                      timestamp now);

}  // namespace kemas::worker
