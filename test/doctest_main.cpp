// main() of the doctest executables (unit tests and each integration test).
#include <doctest/doctest.h>

int main(int argc, char** argv) {
  return doctest::Context(argc, argv).run();
}
