#pragma once
// Just enough XML for S3 answers (ListBucketResult, InitiateMultipartUploadResult,
// CopyObjectResult, CompleteMultipartUploadResult, Error): find elements by local name and
// read their text. S3 answers are flat, generated documents — no DTDs, no CDATA in the
// fields we read, namespaces only as a default xmlns — so a scanner is enough and avoids a
// parser dependency. Pure functions; they never throw except std::bad_alloc.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kemas::s3::xml {

// The raw inner text of every element named `name` (prefix "s3:" and attributes allowed),
// in document order, not descending into a match. Self-closing elements give "".
std::vector<std::string_view> elements(std::string_view document, std::string_view name);

// The first element named `name`, entity-decoded; nullopt when absent.
std::optional<std::string> first_text(std::string_view document, std::string_view name);

// Decodes the five predefined entities and numeric references (&#39; &#x27;).
std::string unescape(std::string_view text);

// Escapes & < > " ' for element text.
std::string escape(std::string_view text);

// The name of the document's root element ("Error", "ListBucketResult", ...), or "".
std::string_view root_name(std::string_view document);

}  // namespace kemas::s3::xml
