#include "test/support/ids.hpp"

#include <cstdio>

namespace kemas::test {

uuid sequential_id() {
  static unsigned long long next = 0;
  // 12 hex digits are the node field; a test run never makes 2^48 ids.
  char text[48];
  std::snprintf(text, sizeof text, "00000000-0000-4000-8000-%012llx", ++next & 0xffffffffffffULL);
  return *uuid::parse(text);
}

}  // namespace kemas::test
