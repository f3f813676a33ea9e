// Command envelopes as they arrive from RabbitMQ (domain/commands/envelope_codec.hpp) and
// each type's payload codec. Invariants: a decoded envelope encodes and decodes back to an
// equal envelope; a payload its codec accepts encodes into an envelope that decodes again.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "domain/commands/all.hpp"

namespace {

template <class Command>
void round_trip(const kemas::commands::envelope& e) {
  auto typed = kemas::commands::decode_as<Command>(e);
  if (!typed)
    return;
  kemas::commands::envelope_header header{e.id, e.issued_at, e.request_id, e.actor};
  const auto again = kemas::commands::make_envelope(*typed, std::move(header));
  if (!kemas::commands::decode_as<Command>(again))
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  kemas::commands::decode_limits limits;
  limits.max_bytes = 64 * 1024;
  auto decoded = kemas::commands::decode_envelope(text, limits);
  if (!decoded)
    return 0;
  const std::string encoded = kemas::commands::encode_envelope(*decoded);
  auto again = kemas::commands::decode_envelope(encoded, limits);
  if (!again || !(*again == *decoded))
    std::abort();
  using namespace kemas::commands;
  round_trip<upload>(*decoded);
  round_trip<delete_file>(*decoded);
  round_trip<upgrade>(*decoded);
  round_trip<expire>(*decoded);
  round_trip<expire_sweep>(*decoded);
  round_trip<assign_plan>(*decoded);
  return 0;
}
