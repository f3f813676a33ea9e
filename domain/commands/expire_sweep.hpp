#pragma once
// The `expire-sweep` command: find every account whose paid plan is past due and apply one
// `expire` each, a page of them per transaction (workers/handlers/sweep_handler.hpp). Schema: schemas/commands/expire-sweep.schema.json. From the scheduler role
// once per interval ({"slot": n}), kemas-admin expire-sweep and the internal route ({});
// applied by workers/handlers/sweep_handler.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>

#include "domain/commands/envelope.hpp"

namespace kemas::commands {

struct expire_sweep {
  static constexpr command_type type = command_type::expire_sweep;

  // The scheduler's interval number (ms since the epoch / interval); absent for a sweep
  // started by hand.
  std::optional<std::int64_t> slot;

  bool operator==(const expire_sweep&) const = default;
};

void encode(const expire_sweep& command, envelope& into);
payload_result<expire_sweep> decode(std::type_identity<expire_sweep>, const envelope& from);

// What makes two scheduled sweeps the same one: the slot of an interval of that length
// ("expire-sweep <interval>ms <slot>"). Only for sweeps with a slot.
std::string identity_of(std::int64_t slot, std::chrono::milliseconds interval);

}  // namespace kemas::commands
