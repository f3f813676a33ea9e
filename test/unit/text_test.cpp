// The ASCII text helpers (domain/text.hpp) and standard base64 (domain/base64.hpp).

#include "domain/text.hpp"
#include "domain/base64.hpp"

#include <doctest/doctest.h>

using namespace kemas;

TEST_CASE("trim_ows strips spaces and tabs only and trim_space all ASCII whitespace") {
  CHECK(trim_ows(" \t a b \t ") == "a b");
  CHECK(trim_ows("\r\nx\r\n") == "\r\nx\r\n");
  CHECK(trim_space("\r\n\t x \v\f") == "x");
  CHECK(trim_ows("") == "");
  CHECK(trim_space("   ") == "");
}

TEST_CASE("case-insensitive comparisons are ASCII-only") {
  CHECK(iequals("Content-Type", "content-type"));
  CHECK_FALSE(iequals("abc", "abcd"));
  CHECK_FALSE(iequals("\xC3\x89", "\xC3\xA9"));  // É and é: not ASCII letters
  CHECK(istarts_with("Bearer abc", "bearer "));
  CHECK_FALSE(istarts_with("Bear", "bearer"));
  CHECK(ascii_lower("MiXeD-09") == "mixed-09");
  CHECK(ascii_upper("port_1") == "PORT_1");
}

TEST_CASE("standard base64 round-trips and refuses what no encoder writes") {
  for (std::string text : {"", "f", "fo", "foo", "foob", "fooba", "foobar"})
    CHECK(base64_decode(base64(text)) == std::optional<std::string>(text));
  CHECK(base64("foobar") == "Zm9vYmFy");
  CHECK(base64("fo") == "Zm8=");
  CHECK(base64("\xff\xfe") == "//4=");
  CHECK_FALSE(base64_decode("Zm8"));   // padding missing
  CHECK_FALSE(base64_decode("Zm=8"));  // padding inside
  CHECK_FALSE(base64_decode("Zm9="));  // non-zero unused bits
  CHECK_FALSE(base64_decode("Zm9v_-=="));
  CHECK_FALSE(base64_decode("Zg==="));
}
