#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>

#include "domain/byte_range.hpp"

using namespace kemas;

namespace {

range_selection partial(std::uint64_t first, std::uint64_t last) { return {range_outcome::partial, {first, last}}; }
const range_selection whole{};
const range_selection unsatisfiable{range_outcome::unsatisfiable, {}};

void check_range(std::string_view header, std::uint64_t size, const range_selection& expected) {
  INFO("Range: " << std::string(header) << " size " << size);
  const auto got = select_range(header, size);
  CHECK(static_cast<int>(got.outcome) == static_cast<int>(expected.outcome));
  if (expected.outcome == range_outcome::partial) {
    CHECK(got.range.first == expected.range.first);
    CHECK(got.range.last == expected.range.last);
  }
}

}  // namespace

TEST_CASE("single byte ranges select absolute positions") {
  check_range("bytes=0-99", 1000, partial(0, 99));
  check_range("bytes=100-199", 1000, partial(100, 199));
  check_range("bytes=0-0", 1000, partial(0, 0));
  check_range("bytes=999-999", 1000, partial(999, 999));
  check_range("bytes=0-999", 1000, partial(0, 999));
  CHECK(select_range("bytes=10-19", 1000).range.length() == 10);
}

TEST_CASE("open and suffix ranges reach the end") {
  check_range("bytes=100-", 1000, partial(100, 999));
  check_range("bytes=0-", 1000, partial(0, 999));
  check_range("bytes=999-", 1000, partial(999, 999));
  check_range("bytes=-500", 1000, partial(500, 999));
  check_range("bytes=-1", 1000, partial(999, 999));
  check_range("bytes=-1000", 1000, partial(0, 999));
  check_range("bytes=-5000", 1000, partial(0, 999));
}

TEST_CASE("a last position past the end is clamped") {
  check_range("bytes=990-5000", 1000, partial(990, 999));
  check_range("bytes=0-1000", 1000, partial(0, 999));
  check_range("bytes=0-99999999999999999999999999", 1000, partial(0, 999));
  check_range("bytes=-99999999999999999999999999", 1000, partial(0, 999));
}

TEST_CASE("ranges starting at or past the end are unsatisfiable") {
  check_range("bytes=1000-", 1000, unsatisfiable);
  check_range("bytes=1000-2000", 1000, unsatisfiable);
  check_range("bytes=99999999999999999999999-", 1000, unsatisfiable);
  check_range("bytes=-0", 1000, unsatisfiable);
  check_range("bytes=-000", 1000, unsatisfiable);
}

TEST_CASE("several ranges or bad syntax are ignored and the whole body is served") {
  for (const char* header : {"", "bytes=", "bytes=,", "bytes=, ,", "bytes=0-99,200-299", "bytes=0-1, 5-6", "bytes=-1,0-0",
                             "bytes=5-4", "bytes=abc", "bytes=-", "bytes=--5", "bytes=1-2-3", "bytes=+1-2", "bytes=1-+2",
                             "bytes=0x10-20", "bytes=1 -2", "bytes=1- 2", "items=0-5", "bytes 0-99", "bytes:0-99", "=0-99",
                             "bytesx=0-5", "bytes=\xE2\x82\xAC-1", "bytes=1000-1,5-6"}) {
    check_range(header, 1000, whole);
  }
}

TEST_CASE("range unit is case-insensitive and list whitespace is tolerated") {
  check_range("Bytes=0-9", 100, partial(0, 9));
  check_range("BYTES=0-9", 100, partial(0, 9));
  check_range("bytes=0-9,", 100, partial(0, 9));
  check_range("bytes=, 0-9 ,", 100, partial(0, 9));
  check_range("  bytes=0-9\t", 100, partial(0, 9));
  check_range("bytes=\t0-9", 100, partial(0, 9));
}

TEST_CASE("a zero-length body has no satisfiable byte position") {
  check_range("bytes=0-", 0, unsatisfiable);
  check_range("bytes=0-0", 0, unsatisfiable);
  check_range("bytes=5-10", 0, unsatisfiable);
  check_range("bytes=-0", 0, unsatisfiable);
  check_range("bytes=-1", 0, whole);  // satisfiable per RFC 9110 but not describable in a 206
  check_range("bytes=-500", 0, whole);
  check_range("bytes=0-1,3-4", 0, whole);
  check_range("", 0, whole);
}

TEST_CASE("a one-byte body") {
  check_range("bytes=0-", 1, partial(0, 0));
  check_range("bytes=0-0", 1, partial(0, 0));
  check_range("bytes=0-5", 1, partial(0, 0));
  check_range("bytes=-1", 1, partial(0, 0));
  check_range("bytes=-9", 1, partial(0, 0));
  check_range("bytes=1-", 1, unsatisfiable);
}

TEST_CASE("the largest sizes do not overflow") {
  constexpr auto max = std::numeric_limits<std::uint64_t>::max();
  check_range("bytes=0-", max, partial(0, max - 1));
  check_range("bytes=-1", max, partial(max - 1, max - 1));
  check_range("bytes=-18446744073709551615", max, partial(0, max - 1));
  check_range("bytes=18446744073709551614-", max, partial(max - 1, max - 1));
  check_range("bytes=18446744073709551615-", max, unsatisfiable);
  check_range("bytes=0-18446744073709551616", max, partial(0, max - 1));
}

TEST_CASE("every small int-range and suffix-range matches the RFC rules") {
  for (std::uint64_t size = 0; size <= 12; ++size) {
    for (std::uint64_t first = 0; first <= 15; ++first) {
      for (std::uint64_t last = 0; last <= 15; ++last) {
        const auto header = "bytes=" + std::to_string(first) + "-" + std::to_string(last);
        range_selection expected = whole;
        if (last >= first) expected = first >= size ? unsatisfiable : partial(first, std::min(last, size - 1));
        check_range(header, size, expected);
      }
      const auto open = "bytes=" + std::to_string(first) + "-";
      check_range(open, size, first >= size ? unsatisfiable : partial(first, size - 1));
      const auto suffix = "bytes=-" + std::to_string(first);
      range_selection expected = unsatisfiable;
      if (first > 0) expected = size == 0 ? whole : partial(size - std::min(first, size), size - 1);
      check_range(suffix, size, expected);
    }
  }
}

TEST_CASE("Content-Range values for 206 and 416") {
  CHECK(content_range_header(0, 99, 1000) == "bytes 0-99/1000");
  CHECK(content_range_header(byte_range{500, 999}, 1000) == "bytes 500-999/1000");
  CHECK(content_range_header(0, 0, 1) == "bytes 0-0/1");
  CHECK(content_range_header(0, 18446744073709551614ull, 18446744073709551615ull) ==
        "bytes 0-18446744073709551614/18446744073709551615");
  CHECK(unsatisfied_range_header(1000) == "bytes */1000");
  CHECK(unsatisfied_range_header(0) == "bytes */0");
}
