// schemas/openapi.yaml is the API's source of truth: every route kemas-api serves must be
// documented there, under the same path and method.
#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "app/composition/api_application.hpp"
#include "test/support/api_fixture.hpp"
#include "test/support/test_settings.hpp"

namespace {

// path -> methods, from the `paths:` block (two-space path keys, four-space method keys).
std::map<std::string, std::set<std::string>> documented_operations() {
  std::ifstream in(kemas::test::source_path("schemas/openapi.yaml"));
  std::map<std::string, std::set<std::string>> out;
  std::string line, current;
  bool in_paths = false;
  while (std::getline(in, line)) {
    if (line == "paths:") {
      in_paths = true;
      continue;
    }
    if (!in_paths)
      continue;
    if (!line.empty() && line[0] != ' ')
      break;  // next top-level key
    if (line.starts_with("  /") && line.ends_with(":")) {
      current = line.substr(2, line.size() - 3);
    } else if (line.size() > 5 && line.starts_with("    ") && line[4] != ' ' &&
               line.ends_with(":")) {
      std::string verb = line.substr(4, line.size() - 5);
      std::ranges::transform(verb, verb.begin(),
                             [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
      out[current].insert(verb);
    }
  }
  return out;
}

}  // namespace

TEST_CASE("every served route is documented in openapi.yaml") {
  const auto documented = documented_operations();
  REQUIRE(documented.size() >= 3);
  kemas::test::api_fixture api;
  std::size_t checked = 0;
  for (const auto& r : api.application().routes().all()) {
    const std::string verb(kemas::http::method_name(r.verb));
    INFO(verb << " " << r.pattern);
    auto it = documented.find(r.pattern);
    REQUIRE(it != documented.end());
    CHECK(it->second.contains(verb));
    ++checked;
  }
  CHECK(checked >= 14);
}
