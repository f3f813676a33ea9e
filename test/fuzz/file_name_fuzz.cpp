// File names as clients send them (domain/file_name.hpp) and the Content-Disposition built
// from them (domain/content_disposition.hpp). Invariants: an accepted name is valid UTF-8
// without controls or bidi marks; the header never carries CR, LF or NUL whatever the name.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "domain/content_disposition.hpp"
#include "domain/file_name.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view sent(reinterpret_cast<const char*>(data), size);
  const std::string name = kemas::client_file_name(sent);
  const bool accepted = kemas::validate_file_name(name).has_value();
  if (accepted && !kemas::is_valid_utf8(name))
    std::abort();
  const std::string header = kemas::content_disposition(sent);
  if (header.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos)
    std::abort();
  std::size_t i = 0;
  char32_t cp = 0;
  while (i < sent.size()) {
    const auto n = kemas::utf8_next(sent, i, cp);
    if (n == 0) {
      if (kemas::is_valid_utf8(sent))
        std::abort();  // the two UTF-8 readers disagree
      break;
    }
    i += n;
  }
  return 0;
}
