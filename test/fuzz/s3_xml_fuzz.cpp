// The S3 answer reader (adapters/s3/xml.hpp) on arbitrary documents: what a faulty or hostile
// S3-compatible server may send. Invariants: every element's text lies inside the document;
// escape() then unescape() gives back the text; an escaped text holds no markup.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <string>
#include <string_view>

#include "adapters/s3/xml.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view document(reinterpret_cast<const char*>(data), size);
  const auto inside = [&](std::string_view part) {
    return part.empty() || (std::less_equal<>{}(document.data(), part.data()) &&
                            std::less_equal<>{}(part.data() + part.size(),
                                                document.data() + document.size()));
  };
  for (const char* name : {"Key", "UploadId", "ETag", "Code", "Message", "Contents",
                           "IsTruncated", "NextContinuationToken"}) {
    for (const auto part : kemas::s3::xml::elements(document, name)) {
      if (!inside(part))
        std::abort();
    }
    (void)kemas::s3::xml::first_text(document, name);
  }
  if (!inside(kemas::s3::xml::root_name(document)))
    std::abort();
  const std::string escaped = kemas::s3::xml::escape(document);
  if (escaped.find_first_of("<>\"'") != std::string::npos)
    std::abort();
  if (kemas::s3::xml::unescape(escaped) != document)
    std::abort();
  (void)kemas::s3::xml::unescape(document);
  return 0;
}
