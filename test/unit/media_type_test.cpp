#include <doctest/doctest.h>

#include "domain/media_type.hpp"

using kemas::normalize_media_type;

TEST_CASE("media type: empty means application/octet-stream") {
  CHECK(normalize_media_type("").value() == "application/octet-stream");
  CHECK(normalize_media_type("   ").value() == "application/octet-stream");
}

TEST_CASE("media type: type/subtype with parameters is kept and trimmed") {
  CHECK(normalize_media_type("text/plain").value() == "text/plain");
  CHECK(normalize_media_type(" text/plain; charset=utf-8 ").value() ==
        "text/plain; charset=utf-8");
  CHECK(normalize_media_type("application/vnd.api+json").value() == "application/vnd.api+json");
}

TEST_CASE("media type: malformed values are refused with the field named") {
  for (std::string_view bad : {"text", "text/", "/plain", "te xt/plain", "text/pl(ain",
                               "text/plain\r\nX-Evil: 1", "text/pl\xC3\xA4in"}) {
    auto r = normalize_media_type(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == kemas::errc::validation_failed);
    CHECK(r.error().field == "content_type");
  }
  CHECK_FALSE(normalize_media_type("a/" + std::string(300, 'b')));
}
