#include "domain/commands/expire_sweep.hpp"

#include "domain/commands/payload_reader.hpp"

namespace kemas::commands {

void encode(const expire_sweep& command, envelope& into) {
  into.payload.clear();
  if (command.slot)
    into.payload["slot"] = *command.slot;
}

payload_result<expire_sweep> decode(std::type_identity<expire_sweep>, const envelope& from) {
  payload_reader read(expire_sweep::type, from.payload);
  expire_sweep out{read.optional_integer("slot")};
  if (read.failed())
    return read.problem();
  return out;
}

std::string identity_of(std::int64_t slot, std::chrono::milliseconds interval) {
  return "expire-sweep " + std::to_string(interval.count()) + "ms " + std::to_string(slot);
}

}  // namespace kemas::commands
