#pragma once
// Range requests for downloads (RFC 9110 section 14). The api computes the absolute range
// itself and asks S3 for exactly those bytes: S3-compatible servers differ on suffix and
// open ranges (s3rver gets "bytes=-N" wrong), so they only ever see "bytes=FIRST-LAST".
//
// One range is served (206); a request for several ranges is served whole (200), which
// RFC 9110 allows ("a server MAY ignore the Range header field") and spares us
// multipart/byteranges. Whatever we cannot parse is ignored the same way. If-Range is the
// route's business: when it does not match, the route must not call this at all.

#include <cstdint>
#include <string>
#include <string_view>

namespace kemas {

struct byte_range {
  std::uint64_t first = 0;  // inclusive
  std::uint64_t last = 0;   // inclusive, first <= last < size

  std::uint64_t length() const noexcept { return last - first + 1; }
  friend bool operator==(const byte_range&, const byte_range&) = default;
};

enum class range_outcome {
  whole,          // no usable Range: 200 with the whole body
  partial,        // 206 with `range`, Content-Range: content_range_header(range, size)
  unsatisfiable,  // 416 with Content-Range: unsatisfied_range_header(size), no body
};

struct range_selection {
  range_outcome outcome = range_outcome::whole;
  byte_range range;  // meaningful only for partial

  friend bool operator==(const range_selection&, const range_selection&) = default;
};

// Decides how to answer `header` (the Range field's value; pass an empty view when the
// request has none) for a representation of `size` bytes:
// - "bytes=0-99" -> 0..99; "bytes=100-" -> 100..size-1; "bytes=-500" -> the last 500 bytes
//   (the whole body when it is shorter); a last position past the end is clamped to size-1.
// - first position >= size, or a suffix of length 0 -> unsatisfiable.
// - several ranges, another unit, a malformed value, last < first -> whole.
// - size 0: "bytes=N-..." is unsatisfiable, a non-zero suffix is whole (RFC 9110 counts it
//   satisfiable, but a 206 cannot describe zero bytes: the empty body is sent with 200).
// The unit name is matched case-insensitively; numbers of any length saturate rather than
// overflow. Never throws.
range_selection select_range(std::string_view header, std::uint64_t size) noexcept;

// "bytes 0-99/1000" for a 206.
std::string content_range_header(std::uint64_t first, std::uint64_t last, std::uint64_t size);
inline std::string content_range_header(const byte_range& range, std::uint64_t size) {
  return content_range_header(range.first, range.last, size);
}
// "bytes */1000" for a 416.
std::string unsatisfied_range_header(std::uint64_t size);

}  // namespace kemas
