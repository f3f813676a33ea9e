#include "workers/handlers/scheduled_commands.hpp"

#include "adapters/crypto/tokens.hpp"
#include "domain/commands/expire.hpp"
#include "domain/commands/expire_sweep.hpp"
#include "domain/hex.hpp"

namespace kemas::worker {

std::string derived_command_id(std::string_view name) {
  const std::string digest = crypto::sha256_hex(name);
  uuid::bytes bytes{};
  for (std::size_t i = 0; i < bytes.size(); ++i)
    bytes[i] = static_cast<std::uint8_t>(hex_value(digest[2 * i]) * 16 + hex_value(digest[2 * i + 1]));
  bytes[6] = static_cast<std::uint8_t>((bytes[6] & 0x0F) | 0x80);  // version 8: custom
  bytes[8] = static_cast<std::uint8_t>((bytes[8] & 0x3F) | 0x80);  // variant 10xx (RFC 9562)
  return uuid(bytes).to_string();
}

commands::envelope make_expire_command(const uuid& user, timestamp due_at, std::string request_id) {
  const commands::expire expire{user, due_at};
  return commands::make_envelope(
      expire,
      {derived_command_id(commands::identity_of(expire)), due_at, std::move(request_id), {}});
}

commands::envelope make_sweep_command(std::int64_t slot, std::chrono::milliseconds interval,
                                      timestamp now) {
  return commands::make_envelope(commands::expire_sweep{slot},
                                 {derived_command_id(commands::identity_of(slot, interval)),
                                  now,
                                  "sweep-" + std::to_string(slot),
                                  {}});
}

}  // namespace kemas::worker
