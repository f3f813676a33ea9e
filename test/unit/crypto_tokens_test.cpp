// Token building blocks: base64url (RFC 4648 §5), SHA-256 hex, random tokens, constant-time equality.
#include <doctest/doctest.h>

#include <set>
#include <string>

#include "domain/base64.hpp"
#include "adapters/crypto/tokens.hpp"
#include "domain/credentials.hpp"

using kemas::base64url;
using kemas::base64url_decode;
using namespace kemas::crypto;

TEST_CASE("base64url matches the RFC 4648 test vectors without padding") {
  CHECK(base64url(std::string_view("")) == "");
  CHECK(base64url(std::string_view("f")) == "Zg");
  CHECK(base64url(std::string_view("fo")) == "Zm8");
  CHECK(base64url(std::string_view("foo")) == "Zm9v");
  CHECK(base64url(std::string_view("foob")) == "Zm9vYg");
  CHECK(base64url(std::string_view("fooba")) == "Zm9vYmE");
  CHECK(base64url(std::string_view("foobar")) == "Zm9vYmFy");
}

TEST_CASE("base64url uses - and _ where base64 uses + and /") {
  const unsigned char bytes[] = {0xfb, 0xff, 0xbf};  // base64 "+/+/"
  CHECK(base64url(bytes, sizeof bytes) == "-_-_");
  const unsigned char two[] = {0xfb, 0xff};  // base64 "+/8="
  CHECK(base64url(two, sizeof two) == "-_8");
}

TEST_CASE("base64url_decode inverts base64url for every length") {
  std::string bytes;
  for (int i = 0; i < 70; ++i) {
    CAPTURE(i);
    const auto decoded = base64url_decode(base64url(bytes));
    REQUIRE(decoded.has_value());
    CHECK(*decoded == bytes);
    bytes.push_back(static_cast<char>(i * 37 + 200));
  }
}

TEST_CASE("base64url_decode is strict") {
  CHECK(base64url_decode("") == std::string());
  CHECK_FALSE(base64url_decode("Zg==").has_value());   // padding
  CHECK_FALSE(base64url_decode("Zm9v+").has_value());  // standard alphabet
  CHECK_FALSE(base64url_decode("Zm/v").has_value());
  CHECK_FALSE(base64url_decode("Z").has_value());      // impossible length
  CHECK_FALSE(base64url_decode("Zm9vY").has_value());
  CHECK_FALSE(base64url_decode("Zh").has_value());     // non-zero unused bits ("Zg" is canonical)
  CHECK_FALSE(base64url_decode("Zm9").has_value());    // ("Zm8" is canonical)
  CHECK_FALSE(base64url_decode("Zm 9v").has_value());
  CHECK_FALSE(base64url_decode(std::string_view("Zm\0v", 4)).has_value());
}

TEST_CASE("sha256_hex matches the FIPS 180-2 vectors") {
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(sha256_hex(std::string(1'000'000, 'a')) ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  CHECK(sha256_hex(std::string_view("a\0b", 3)) != sha256_hex("a"));
}

TEST_CASE("random_token is 43 base64url characters of 32 fresh bytes") {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const auto token = random_token();
    REQUIRE(token.size() == kemas::secret_length);
    CHECK(kemas::is_base64url(token));
    const auto raw = base64url_decode(token);
    REQUIRE(raw.has_value());
    CHECK(raw->size() == 32);
    seen.insert(token);
  }
  CHECK(seen.size() == 100);
}

TEST_CASE("constant_time_equal compares whole strings") {
  CHECK(constant_time_equal("", ""));
  CHECK(constant_time_equal("abcdef", "abcdef"));
  CHECK_FALSE(constant_time_equal("abcdef", "abcdeg"));  // last byte
  CHECK_FALSE(constant_time_equal("abcdef", "bbcdef"));  // first byte
  CHECK_FALSE(constant_time_equal("abcdef", "abcde"));   // prefix: length differs
  CHECK_FALSE(constant_time_equal("abcde", "abcdef"));
  CHECK_FALSE(constant_time_equal("", "a"));
  CHECK_FALSE(constant_time_equal(std::string_view("ab\0", 3), "ab"));
  const auto h = sha256_hex("secret");
  CHECK(constant_time_equal(h, sha256_hex("secret")));
  CHECK_FALSE(constant_time_equal(h, sha256_hex("secreT")));
}
