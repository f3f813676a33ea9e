// doctest's implementation, once for every test executable and bench that links test support
// (fixtures use CHECK/REQUIRE). main() is test/doctest_main.cpp, linked by the tests only:
// the benches bring their own.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>
