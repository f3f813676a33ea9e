// base64url / base64 decoding (cursors, API keys, inline bodies) and RFC 3339 times (the
// envelope, plan_expires_at). Invariants: what decodes re-encodes to a text that decodes to
// the same bytes; a parsed time prints and parses back to itself.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "domain/base64.hpp"
#include "domain/rfc3339.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (const auto bytes = kemas::base64url_decode(text)) {
    const auto again = kemas::base64url_decode(kemas::base64url(*bytes));
    if (!again || *again != *bytes)
      std::abort();
  }
  if (const auto bytes = kemas::base64_decode(text)) {
    const auto again = kemas::base64_decode(kemas::base64(*bytes));
    if (!again || *again != *bytes)
      std::abort();
  }
  if (const auto time = kemas::parse_rfc3339(text)) {
    const auto again = kemas::parse_rfc3339(kemas::format_rfc3339(*time));
    if (!again || *again != *time)
      std::abort();
  }
  return 0;
}
