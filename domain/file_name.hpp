#pragma once
// File names as users choose them (step 3, issue 4): what the upload, rename and download
// routes accept. Names are labels only: object keys are generated (u/{owner}/{file_id}),
// so a name never reaches a path, and the rules below are about what every client, log
// and header can show safely, not about file systems.

#include <cstddef>
#include <string>
#include <string_view>

#include "domain/result.hpp"

namespace kemas {

inline constexpr std::size_t file_name_max_bytes = 255;  // files.name CHECK (1..255)

// True when `text` is well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates
// (U+D800..U+DFFF), nothing above U+10FFFF, no truncated sequences.
bool is_valid_utf8(std::string_view text) noexcept;

// Decodes the code point that starts at text[i] into `cp`; returns its length in bytes
// (1-4), or 0 when the bytes there are not well-formed UTF-8 (or i is past the end).
std::size_t utf8_next(std::string_view text, std::size_t i, char32_t& cp) noexcept;

// Accepts 1-255 bytes of valid UTF-8 with no control character (C0 U+0000..U+001F, DEL
// U+007F, C1 U+0080..U+009F), no '/', and not "." or "..". Anything else is allowed,
// including spaces, '\\' and non-Latin scripts. Fails with errc::validation_failed,
// field "name", and a message that says which rule.
result<void> validate_file_name(std::string_view name);

// The name a client meant, from a multipart filename= (or filename*) parameter: browsers
// and old clients may send a whole path ("C:\\Users\\ana\\cv.pdf", "docs/cv.pdf"); keep
// what follows the last '/' or '\\'. Nothing else changes: validate the result with
// validate_file_name (it may be empty, e.g. "dir/").
std::string client_file_name(std::string_view sent);

}  // namespace kemas
