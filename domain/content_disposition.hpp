#pragma once
// Content-Disposition for downloads (RFC 6266, with RFC 8187 -- formerly 5987 -- for the
// UTF-8 name). File names are the user's own text: whatever they hold, the value built here
// is one line of printable ASCII that cannot end the header or add parameters.

#include <string>
#include <string_view>

namespace kemas {

enum class disposition_type { attachment, inline_ };

// `attachment; filename="<fallback>"; filename*=UTF-8''<percent-encoded name>`
// (or `inline; ...`).
// - filename* carries the exact name: every byte outside RFC 8187's attr-char is written as
//   %XX (upper-case hex), so CR, LF, quotes, ';' and non-ASCII can never break out.
// - filename is the fallback for clients that ignore filename*: printable ASCII kept,
//   '"' and '\\' escaped with a backslash (RFC 9110 quoted-pair); every other character --
//   control, non-ASCII (one '_' per code point; per byte when the name is not valid UTF-8)
//   and '%' (some clients percent-decode the fallback, RFC 6266 appendix D) -- becomes '_'.
// - An empty name gives the fallback "download".
std::string content_disposition(std::string_view file_name,
                                disposition_type type = disposition_type::attachment);

// RFC 8187 ext-value encoding of `text` without the "UTF-8''" prefix: attr-char kept,
// everything else %XX. Exposed for tests and for other headers that need it.
std::string percent_encode_attr(std::string_view text);

}  // namespace kemas
