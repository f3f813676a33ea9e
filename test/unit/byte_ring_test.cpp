// byte_ring: FIFO order across the wrap, partial puts when full, partial takes when short.
#include "adapters/s3/byte_ring.hpp"

#include <doctest/doctest.h>

#include <string>

using kemas::s3::byte_ring;

TEST_CASE("byte ring keeps order across its end and refuses what does not fit") {
  byte_ring ring(8);
  CHECK(ring.put("abcdef", 6) == 6);
  char out[16] = {};
  CHECK(ring.take(out, 4) == 4);
  CHECK(std::string(out, 4) == "abcd");
  CHECK(ring.room() == 6);
  CHECK(ring.put("ghijklmnop", 10) == 6);  // wraps: "ef" + "ghijkl"
  CHECK(ring.size() == 8);
  CHECK(ring.room() == 0);
  CHECK(ring.put("x", 1) == 0);
  CHECK(ring.take(out, 16) == 8);
  CHECK(std::string(out, 8) == "efghijkl");
  CHECK(ring.take(out, 1) == 0);
  CHECK(ring.put("zz", 2) == 2);
  ring.clear();
  CHECK(ring.size() == 0);
  CHECK(ring.room() == 8);
}

TEST_CASE("byte ring passes a long stream through unchanged in uneven pieces") {
  std::string in;
  for (int i = 0; i < 5000; ++i)
    in += static_cast<char>('a' + i % 23);
  byte_ring ring(97);
  std::string out;
  std::size_t sent = 0;
  char piece[64];
  for (int step = 0; out.size() < in.size(); ++step) {
    sent += ring.put(in.data() + sent, std::min<std::size_t>(in.size() - sent, 1 + step % 41));
    const std::size_t got = ring.take(piece, 1 + step % 37);
    out.append(piece, got);
  }
  CHECK(out == in);
}
