#include <doctest/doctest.h>

#include <random>
#include <string>

#include "domain/content_disposition.hpp"
#include "domain/file_name.hpp"
#include "domain/multipart.hpp"

using namespace kemas;

namespace {

// Splits `attachment; filename="..."; filename*=UTF-8''...` back into its two names,
// reading the quoted string by RFC 9110 rules (quoted-pair = "\" any char).
struct parsed_disposition {
  bool ok = false;
  std::string type;
  std::string fallback;
  std::string ext;  // still percent-encoded
};

parsed_disposition parse(const std::string& value) {
  parsed_disposition out;
  const auto semi = value.find("; filename=\"");
  if (semi == std::string::npos) return out;
  out.type = value.substr(0, semi);
  std::size_t i = semi + 12;
  for (; i < value.size() && value[i] != '"'; ++i) {
    if (value[i] == '\\') ++i;
    if (i < value.size()) out.fallback += value[i];
  }
  if (i >= value.size()) return out;
  const std::string rest = value.substr(i + 1);
  const std::string prefix = "; filename*=UTF-8''";
  if (rest.rfind(prefix, 0) != 0) return out;
  out.ext = rest.substr(prefix.size());
  out.ok = true;
  return out;
}

std::string percent_decode(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

bool printable_ascii(const std::string& s) {
  for (char c : s) {
    if (c < 0x20 || c > 0x7E) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("an ASCII name is written twice") {
  CHECK(content_disposition("report.pdf") == "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf");
  CHECK(content_disposition("report.pdf", disposition_type::inline_) ==
        "inline; filename=\"report.pdf\"; filename*=UTF-8''report.pdf");
}

TEST_CASE("non-ASCII names get an underscore fallback and a UTF-8 filename star") {
  CHECK(content_disposition("résumé.pdf") ==
        "attachment; filename=\"r_sum_.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf");
  CHECK(content_disposition("😀.png") == "attachment; filename=\"_.png\"; filename*=UTF-8''%F0%9F%98%80.png");
  CHECK(content_disposition("数据.xlsx") == "attachment; filename=\"__.xlsx\"; filename*=UTF-8''%E6%95%B0%E6%8D%AE.xlsx");
}

TEST_CASE("quotes and backslashes are escaped in the fallback and encoded in the star") {
  CHECK(content_disposition("a\"b\\c.txt") ==
        "attachment; filename=\"a\\\"b\\\\c.txt\"; filename*=UTF-8''a%22b%5Cc.txt");
}

TEST_CASE("CR and LF never reach the header") {
  const auto value = content_disposition("evil\r\nSet-Cookie: x=1\r\n\r\n<html>");
  CHECK(value.find('\r') == std::string::npos);
  CHECK(value.find('\n') == std::string::npos);
  CHECK(value ==
        "attachment; filename=\"evil__Set-Cookie: x=1____<html>\"; "
        "filename*=UTF-8''evil%0D%0ASet-Cookie%3A%20x%3D1%0D%0A%0D%0A%3Chtml%3E");
}

TEST_CASE("percent signs and separators are harmless") {
  CHECK(content_disposition("100%.txt") == "attachment; filename=\"100_.txt\"; filename*=UTF-8''100%25.txt");
  CHECK(content_disposition("a b;c=d,e.txt") ==
        "attachment; filename=\"a b;c=d,e.txt\"; filename*=UTF-8''a%20b%3Bc%3Dd%2Ce.txt");
}

TEST_CASE("empty and invalid names still give a well-formed value") {
  CHECK(content_disposition("") == "attachment; filename=\"download\"; filename*=UTF-8''");
  CHECK(content_disposition("\xFF\xFEx") == "attachment; filename=\"__x\"; filename*=UTF-8''%FF%FEx");
  CHECK(content_disposition(std::string_view("a\0b", 3)) == "attachment; filename=\"a_b\"; filename*=UTF-8''a%00b");
}

TEST_CASE("attr-chars pass through percent encoding and everything else is encoded") {
  const std::string attr = "ABCXYZabcxyz0189!#$&+-.^_`|~";
  CHECK(percent_encode_attr(attr) == attr);
  CHECK(percent_encode_attr(" \"%'()*,/:;<=>?@[\\]{}") ==
        "%20%22%25%27%28%29%2A%2C%2F%3A%3B%3C%3D%3E%3F%40%5B%5C%5D%7B%7D");
  CHECK(percent_encode_attr("\x7F\x80\xFF") == "%7F%80%FF");
}

TEST_CASE("random names always give one line of printable ASCII that round-trips") {
  std::mt19937 rng(20240501);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> len(0, 40);
  for (int round = 0; round < 2000; ++round) {
    std::string name;
    const int n = len(rng);
    for (int i = 0; i < n; ++i) name += static_cast<char>(byte(rng));
    const auto value = content_disposition(name);
    INFO("round " << round);
    REQUIRE(printable_ascii(value));
    const auto p = parse(value);
    REQUIRE(p.ok);
    CHECK(p.type == "attachment");
    CHECK(percent_decode(p.ext) == name);
    CHECK(p.fallback.find('%') == std::string::npos);
    CHECK(printable_ascii(p.fallback));
  }
}

TEST_CASE("our multipart reader recovers the exact name from the value") {
  // The same parameters in a form-data part: filename* must decode to the original name.
  for (std::string name : {"résumé.pdf", "a\"b\\c.txt", "100% ;=,.txt", "😀 数据.png", "plain"}) {
    auto value = content_disposition(name);
    value.replace(0, std::string("attachment").size(), "form-data; name=\"file\"");
    const std::string body = "--b\r\nContent-Disposition: " + value + "\r\n\r\nx\r\n--b--\r\n";
    multipart_parser parser("b");
    parser.feed(body);
    parser.finish();
    INFO(name);
    REQUIRE(parser.next() == multipart_parser::event::part_begin);
    REQUIRE(parser.part().filename);
    CHECK(*parser.part().filename == name);
  }
}
