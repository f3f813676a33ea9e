// The S3 client's pure parts: SigV4 canonical path and query (libcurl 7.88 signs them as
// sent, so they must be canonical before sending), the minimal XML reader, and how HTTP
// answers are classified into error kinds.

#include "adapters/crypto/tokens.hpp"
#include "adapters/s3/canonical.hpp"
#include "adapters/s3/error.hpp"
#include "adapters/s3/xml.hpp"

#include <doctest/doctest.h>

using namespace kemas::s3;

TEST_CASE("s3 uri_encode keeps only RFC 3986 unreserved characters") {
  CHECK(uri_encode("AZaz09-._~", true) == "AZaz09-._~");
  CHECK(uri_encode("a b", true) == "a%20b");
  CHECK(uri_encode("a/b", false) == "a/b");
  CHECK(uri_encode("a/b", true) == "a%2Fb");
  CHECK(uri_encode("*+=&?#%!'()", true) == "%2A%2B%3D%26%3F%23%25%21%27%28%29");
  CHECK(uri_encode("\xC3\xA9", false) == "%C3%A9");  // é in UTF-8, upper-case hex
  CHECK(uri_encode(std::string_view("\0\xff", 2), true) == "%00%FF");
  CHECK(uri_encode("", true).empty());
}

TEST_CASE("s3 canonical_key_path encodes each key segment and keeps slashes") {
  CHECK(canonical_key_path("kemas", "u/42/file") == "/kemas/u/42/file");
  CHECK(canonical_key_path("kemas", "dir with space/\xE2\x9C\x93 x*.txt") ==
        "/kemas/dir%20with%20space/%E2%9C%93%20x%2A.txt");
  CHECK(canonical_key_path("kemas", "a//b/") == "/kemas/a//b/");
  CHECK(canonical_key_path("kemas", "") == "/kemas");
}

TEST_CASE("s3 canonical_query sorts by encoded name and always writes '='") {
  CHECK(canonical_query({}).empty());
  CHECK(canonical_query({{"uploads", ""}}) == "uploads=");
  CHECK(canonical_query({{"uploadId", "abc"}, {"partNumber", "3"}}) == "partNumber=3&uploadId=abc");
  CHECK(canonical_query({{"prefix", "u/42/"},
                         {"list-type", "2"},
                         {"max-keys", "1000"},
                         {"continuation-token", "a+b/c=="}}) ==
        "continuation-token=a%2Bb%2Fc%3D%3D&list-type=2&max-keys=1000&prefix=u%2F42%2F");
  // Code-point order: upper case before lower case.
  CHECK(canonical_query({{"b", "1"}, {"C", "2"}}) == "C=2&b=1");
  CHECK(canonical_query({{"prefix", "a b"}}) == "prefix=a%20b");
}

TEST_CASE("s3 sha256_hex") {
  CHECK(kemas::crypto::sha256_hex("") == empty_payload_sha256);
  CHECK(kemas::crypto::sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("s3 xml reads S3 answers") {
  const std::string_view list =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<Name>kemas</Name><Prefix>a/</Prefix><KeyCount>2</KeyCount>"
      "<IsTruncated>true</IsTruncated><NextContinuationToken>tok+/=</NextContinuationToken>"
      "<Contents><Key>a/x &amp; y</Key><Size>5</Size><ETag>&quot;abc&quot;</ETag></Contents>"
      "<Contents><Key>a/&#233;&#x41;</Key><Size>0</Size><ETag>\"def\"</ETag></Contents>"
      "<CommonPrefixes><Prefix>a/sub/</Prefix></CommonPrefixes>"
      "</ListBucketResult>";
  CHECK(xml::root_name(list) == "ListBucketResult");
  auto contents = xml::elements(list, "Contents");
  REQUIRE(contents.size() == 2);
  CHECK(xml::first_text(contents[0], "Key") == "a/x & y");
  CHECK(xml::first_text(contents[0], "ETag") == "\"abc\"");
  CHECK(xml::first_text(contents[1], "Key") ==
        "a/\xC3\xA9"
        "A");
  CHECK(xml::first_text(contents[1], "Size") == "0");
  CHECK(xml::first_text(list, "NextContinuationToken") == "tok+/=");
  CHECK(xml::first_text(list, "Prefix") == "a/");  // the top-level one comes first
  CHECK_FALSE(xml::first_text(list, "Missing").has_value());
  auto prefixes = xml::elements(list, "CommonPrefixes");
  REQUIRE(prefixes.size() == 1);
  CHECK(xml::first_text(prefixes[0], "Prefix") == "a/sub/");
}

TEST_CASE("s3 xml handles errors and prefixes and self-closing and truncated documents") {
  CHECK(xml::root_name("<Error><Code>NoSuchKey</Code></Error>") == "Error");
  CHECK(xml::root_name("<?xml version=\"1.0\"?><!-- c --><s3:Error/>") == "Error");
  CHECK(xml::first_text("<r><s3:Code>X</s3:Code></r>", "Code") == "X");
  CHECK(xml::first_text("<r><Prefix/></r>", "Prefix") == "");
  CHECK(xml::first_text("<r><Key attr=\"1\">k</Key></r>", "Key") == "k");
  CHECK(xml::elements("<r><Key>k</Key><Key>trunc", "Key").size() == 1);
  CHECK(xml::root_name("").empty());
  CHECK(xml::unescape("a &unknown; &amp b") == "a &unknown; &amp b");
  CHECK(xml::escape("\"<&>'") == "&quot;&lt;&amp;&gt;&apos;");
  CHECK(xml::unescape(xml::escape("\"etag\" & <x>")) == "\"etag\" & <x>");
}

TEST_CASE("s3 classify_http separates transient from permanent errors") {
  CHECK(classify_http(404, "NoSuchKey") == s3_errc::not_found);
  CHECK(classify_http(404, "") == s3_errc::not_found);
  CHECK(classify_http(403, "SignatureDoesNotMatch") == s3_errc::access_denied);
  CHECK(classify_http(403, "InvalidAccessKeyId") == s3_errc::access_denied);
  CHECK(classify_http(412, "PreconditionFailed") == s3_errc::precondition);
  CHECK(classify_http(416, "InvalidRange") == s3_errc::invalid_range);
  CHECK(classify_http(409, "BucketAlreadyExists") == s3_errc::conflict);
  CHECK(classify_http(405, "MethodNotAllowed") == s3_errc::unsupported);
  CHECK(classify_http(501, "NotImplemented") == s3_errc::unsupported);
  CHECK(classify_http(400, "InvalidArgument") == s3_errc::invalid);
  CHECK(classify_http(400, "RequestTimeout") == s3_errc::transient);
  CHECK(classify_http(429, "") == s3_errc::transient);
  CHECK(classify_http(500, "InternalError") == s3_errc::transient);
  CHECK(classify_http(503, "SlowDown") == s3_errc::transient);
  CHECK(classify_http(502, "") == s3_errc::transient);
  CHECK(classify_http(301, "PermanentRedirect") == s3_errc::invalid);
  CHECK(classify_http(200, "") == s3_errc::protocol);

  const s3_error error{s3_errc::transient, 503, "SlowDown", "Please reduce your request rate."};
  CHECK(error.transient());
  CHECK(error.describe() == "transient: 503 SlowDown: Please reduce your request rate.");
  s3_result<int> failed = error;
  CHECK_THROWS_AS(failed.value(), s3_exception);
}
