// Range headers (domain/byte_range.hpp) against object sizes chosen by the input. Input:
// 8 bytes of size, the rest is the header. Invariant: a satisfiable range lies within the
// object, first <= last.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "domain/byte_range.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 8)
    return 0;
  std::uint64_t object_size = 0;
  std::memcpy(&object_size, data, 8);
  object_size %= (1ULL << 50);
  const std::string_view header(reinterpret_cast<const char*>(data) + 8, size - 8);
  const auto selected = kemas::select_range(header, object_size);
  if (selected.outcome == kemas::range_outcome::partial) {
    const auto& range = selected.range;
    if (range.first > range.last || range.last >= object_size)
      std::abort();
    (void)kemas::content_range_header(range, object_size);
  }
  return 0;
}
