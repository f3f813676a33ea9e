// Command envelopes as they arrive from RabbitMQ (domain/commands/envelope_codec.hpp) and
// each type's payload codec. Invariants: a decoded envelope encodes into a text that decodes
// to the same header (id, type, time, request id, actor); a payload its codec accepts encodes
// into an envelope that decodes again. The raw payload object is not compared: a number too
// large for an integer becomes a double, and Boost.JSON 1.81 neither prints nor parses
// doubles exactly, so it drifts a little on each round (found by this target). No command
// field is a double: the typed codecs read integers only, which the round trips below check.
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
  if (!again || again->id != decoded->id || again->type != decoded->type ||
      again->issued_at != decoded->issued_at || again->request_id != decoded->request_id ||
      again->actor != decoded->actor)
    std::abort();
  using namespace kemas::commands;
  round_trip<upload>(*decoded);
  round_trip<delete_file>(*decoded);
  round_trip<upgrade>(*decoded);
  round_trip<expire>(*decoded);
  round_trip<expire_sweep>(*decoded);
  round_trip<assign_plan>(*decoded);
  round_trip<expire_share>(*decoded);
  round_trip<expire_upload>(*decoded);
  return 0;
}
