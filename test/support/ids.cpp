#include "test/support/ids.hpp"

#include <cstdio>

namespace kemas::test {

uuid sequential_id() {
  static long long next = 0;
  char text[37];
  std::snprintf(text, sizeof text, "00000000-0000-4000-8000-%012lld", ++next);
  return *uuid::parse(text);
}

}  // namespace kemas::test
