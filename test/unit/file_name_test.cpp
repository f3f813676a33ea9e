#include <doctest/doctest.h>

#include <cstdint>
#include <string>

#include "domain/file_name.hpp"
#include "domain/utf8.hpp"

using namespace kemas;

namespace {

// Reference validity, written differently from the code under test: decode the bit
// pattern without range checks, then require the shortest form, no surrogate, <= U+10FFFF.
bool reference_valid(const std::string& s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b0 = static_cast<std::uint8_t>(s[i]);
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if (b0 < 0x80) { len = 1; cp = b0; }
    else if ((b0 & 0xE0) == 0xC0) { len = 2; cp = b0 & 0x1F; }
    else if ((b0 & 0xF0) == 0xE0) { len = 3; cp = b0 & 0x0F; }
    else if ((b0 & 0xF8) == 0xF0) { len = 4; cp = b0 & 0x07; }
    else return false;
    if (i + len > s.size()) return false;
    for (std::size_t k = 1; k < len; ++k) {
      const auto b = static_cast<std::uint8_t>(s[i + k]);
      if ((b & 0xC0) != 0x80) return false;
      cp = cp << 6 | (b & 0x3F);
    }
    if (kemas::utf8_of(cp).size() != len) return false;  // overlong
    if (cp >= 0xD800 && cp <= 0xDFFF) return false;
    if (cp > 0x10FFFF) return false;
    i += len;
  }
  return true;
}

void check_rejected(std::string_view name, std::string_view message_part) {
  INFO("name bytes: " << name.size());
  auto r = validate_file_name(name);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::validation_failed);
  CHECK(r.error().field == "name");
  CHECK(r.error().message.find(message_part) != std::string::npos);
}

}  // namespace

TEST_CASE("ordinary file names are accepted") {
  for (const char* ok : {"report.pdf", "a", "résumé 2024.pdf", "数据.xlsx", "фото.jpg", "😀.png", ".hidden", "...",
                         " spaced out ", "a\\b.txt", "C:file", "name with \"quotes\" and 'apostrophes'",
                         "tab-free;semi,comma=eq%20.txt", "\xC2\xA0nbsp", "\xEF\xBF\xBF"}) {
    INFO(ok);
    CHECK(validate_file_name(ok));
  }
}

TEST_CASE("file names are 1 to 255 bytes") {
  check_rejected("", "required");
  CHECK(validate_file_name(std::string(255, 'a')));
  check_rejected(std::string(256, 'a'), "255");
  std::string euros;
  for (int i = 0; i < 85; ++i) euros += "\xE2\x82\xAC";  // 85 x 3 bytes = 255
  CHECK(validate_file_name(euros));
  check_rejected(euros + "\xE2\x82\xAC", "255");
  CHECK(validate_file_name(std::string(254, 'a') + "b"));
}

TEST_CASE("dot names and slashes are refused") {
  check_rejected(".", "'.'");
  check_rejected("..", "'.'");
  check_rejected("/", "'/'");
  check_rejected("a/b", "'/'");
  check_rejected("../etc/passwd", "'/'");
  check_rejected("dir/", "'/'");
  CHECK(validate_file_name(".a"));
  CHECK(validate_file_name("a.."));
}

TEST_CASE("control characters are refused: C0 and DEL and C1") {
  for (int c = 0; c < 0x20; ++c) {
    INFO("C0 " << c);
    check_rejected(std::string("a") + static_cast<char>(c) + "b", "control");
  }
  check_rejected("a\x7F" "b", "control");
  for (std::uint32_t cp = 0x80; cp <= 0x9F; ++cp) {
    INFO("C1 " << cp);
    check_rejected("a" + kemas::utf8_of(cp) + "b", "control");
  }
  check_rejected(std::string_view("a\0b", 3), "control");
  check_rejected("line\r\nbreak", "control");
  CHECK(validate_file_name("a" + kemas::utf8_of(0xA0)));
}

TEST_CASE("invalid UTF-8 is refused") {
  for (const char* bad : {
           "\x80",              // lone continuation byte
           "\xBF",              //
           "\xC0\xAF",          // overlong '/'
           "\xC1\xBF",          // overlong
           "\xE0\x80\xAF",      // overlong 3-byte
           "\xE0\x9F\xBF",      // overlong 3-byte, top
           "\xF0\x80\x80\xAF",  // overlong 4-byte
           "\xF0\x8F\xBF\xBF",  // overlong 4-byte, top
           "\xED\xA0\x80",      // U+D800 surrogate
           "\xED\xBF\xBF",      // U+DFFF surrogate
           "\xED\xA0\xBD\xED\xB8\x80",  // CESU-8 pair
           "\xF4\x90\x80\x80",  // U+110000
           "\xF5\x80\x80\x80",  // lead byte past the range
           "\xF8\x88\x80\x80\x80",  // 5-byte form
           "\xFE", "\xFF",
           "\xE2\x82",          // truncated
           "\xF0\x9F\x98",      // truncated 4-byte
           "\xC3",              // truncated at the end
           "\xC3(",             // bad continuation
           "\xE2(\xA1",
       }) {
    INFO(bad);
    check_rejected(std::string("name") + bad, "UTF-8");
    CHECK_FALSE(is_valid_utf8(bad));
  }
}

TEST_CASE("utf8_next decodes the edges of each length") {
  for (std::uint32_t cp : {0x0u, 0x7Fu, 0x80u, 0x7FFu, 0x800u, 0xD7FFu, 0xE000u, 0xFFFDu, 0xFFFFu, 0x10000u,
                           0x1F600u, 0x10FFFFu}) {
    const auto s = kemas::utf8_of(cp);
    char32_t got = 0;
    INFO(cp);
    CHECK(utf8_next(s, 0, got) == s.size());
    CHECK(got == static_cast<char32_t>(cp));
  }
  char32_t got = 1;
  CHECK(utf8_next("", 0, got) == 0);
  CHECK(utf8_next("ab", 2, got) == 0);
  CHECK(utf8_next("\xC0\x80", 0, got) == 0);
}

TEST_CASE("UTF-8 validity agrees with a reference over every code point and every short sequence") {
  for (std::uint32_t cp = 0; cp <= 0x10FFFF; ++cp) {
    const auto s = kemas::utf8_of(cp);
    const bool surrogate = cp >= 0xD800 && cp <= 0xDFFF;
    if (is_valid_utf8(s) == surrogate) {
      FAIL("code point " << cp);
    }
  }
  std::string s(2, '\0');
  for (int a = 0; a < 256; ++a) {
    for (int b = 0; b < 256; ++b) {
      s[0] = static_cast<char>(a);
      s[1] = static_cast<char>(b);
      if (is_valid_utf8(s) != reference_valid(s)) FAIL("bytes " << a << " " << b);
    }
  }
  s.assign(3, '\0');
  for (int a = 0xC0; a < 256; ++a) {  // every lead byte of a multi-byte form
    for (int b = 0; b < 256; ++b) {
      for (int c : {0x00, 0x41, 0x7F, 0x80, 0x9F, 0xA0, 0xBF, 0xC0, 0xFF}) {
        s[0] = static_cast<char>(a);
        s[1] = static_cast<char>(b);
        s[2] = static_cast<char>(c);
        if (is_valid_utf8(s) != reference_valid(s)) FAIL("bytes " << a << " " << b << " " << c);
        const auto four = s + "\x80";
        if (is_valid_utf8(four) != reference_valid(four)) FAIL("bytes " << a << " " << b << " " << c << " 128");
      }
    }
  }
}

TEST_CASE("client file names lose any path before the last slash or backslash") {
  CHECK(client_file_name("cv.pdf") == "cv.pdf");
  CHECK(client_file_name("C:\\Users\\ana\\cv.pdf") == "cv.pdf");
  CHECK(client_file_name("docs/2024/cv.pdf") == "cv.pdf");
  CHECK(client_file_name("a/b\\c") == "c");
  CHECK(client_file_name("a\\b/c") == "c");
  CHECK(client_file_name("../../etc/passwd") == "passwd");
  CHECK(client_file_name("dir/") == "");
  CHECK(client_file_name("") == "");
  CHECK(client_file_name("résumé.pdf") == "résumé.pdf");
  CHECK(client_file_name("/résumé.pdf") == "résumé.pdf");
  CHECK_FALSE(validate_file_name(client_file_name("dir/")));
  CHECK(validate_file_name(client_file_name("C:\\x\\..\\ok.txt")));
}

TEST_CASE("names with bidirectional controls are refused") {
  // "invoice<RLO>fdp.exe" would read as "invoiceexe.pdf".
  for (const char* name : {"invoice\u202Efdp.exe", "a\u202Ab", "a\u2066b", "a\u200Fb", "a\u061Cb"}) {
    CAPTURE(name);
    auto r = validate_file_name(name);
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("bidirectional") != std::string::npos);
  }
  CHECK(validate_file_name("\u05E9\u05DC\u05D5\u05DD.txt"));  // Hebrew letters themselves are fine
}
