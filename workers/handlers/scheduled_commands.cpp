#include "workers/handlers/scheduled_commands.hpp"

#include "adapters/crypto/tokens.hpp"
#include "domain/commands/expire.hpp"
#include "domain/commands/expire_sweep.hpp"

namespace kemas::worker {

std::string derived_command_id(std::string_view name) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string hex = crypto::sha256_hex(name).substr(0, 32);
  hex[12] = '8';  // version 8: custom
  const int variant_nibble = (hex[16] >= 'a' ? hex[16] - 'a' + 10 : hex[16] - '0');
  hex[16] = digits[(variant_nibble & 0x3) | 0x8];  // variant 10xx (RFC 9562)
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20, 12);
}

commands::envelope make_expire_command(const uuid& user, timestamp due_at, std::string request_id) {
  const commands::expire expire{user, due_at};
  return commands::make_envelope(
      expire, {derived_command_id(commands::identity_of(expire)), due_at, std::move(request_id), {}});
}

commands::envelope make_sweep_command(std::int64_t slot, std::chrono::milliseconds interval,
                                      timestamp now) {
  return commands::make_envelope(commands::expire_sweep{slot},
                                 {derived_command_id(commands::identity_of(slot, interval)), now,
                                  "sweep-" + std::to_string(slot), {}});
}

}  // namespace kemas::worker
