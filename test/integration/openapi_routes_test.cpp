// schemas/openapi.yaml is the API's source of truth: every route kemas-api serves must be
// documented there, under the same path and method, and every documented operation served.
#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "app/composition/api_application.hpp"
#include "test/support/api_fixture.hpp"
#include "test/support/child_process.hpp"
#include "test/support/test_settings.hpp"

namespace {

// path -> methods, from openapi.yaml parsed by a real YAML parser (Debian's python3-yaml):
// the file is YAML, and a line scanner would misread flow maps and path-level keys.
std::map<std::string, std::set<std::string>> documented_operations() {
  const std::string script =
      "import sys, yaml\n"
      "doc = yaml.safe_load(open(sys.argv[1]))\n"
      "verbs = {'get','put','post','delete','options','head','patch','trace'}\n"
      "for path, item in doc['paths'].items():\n"
      "    for verb in item:\n"
      "        if verb in verbs: print(verb.upper(), path)\n";
  const auto out_path = std::filesystem::temp_directory_path() /
                        ("kemas_openapi_" + std::to_string(::getpid()) + ".txt");
  kemas::test::child_process::options options;
  options.program = "/usr/bin/python3";
  options.args = {"-c", script, kemas::test::source_path("schemas/openapi.yaml")};
  options.stdout_path = out_path.string();
  options.stderr_path = out_path.string() + ".err";
  kemas::test::child_process parser(std::move(options));
  const auto status = parser.wait_for(std::chrono::seconds(30));
  INFO(parser.stderr_text());
  REQUIRE(status == 0);
  std::ifstream in(out_path);
  std::map<std::string, std::set<std::string>> out;
  std::string verb, path;
  while (in >> verb >> path)
    out[path].insert(verb);
  std::filesystem::remove(out_path);
  std::filesystem::remove(out_path.string() + ".err");
  return out;
}

}  // namespace

TEST_CASE("every served route is documented in openapi.yaml") {
  const auto documented = documented_operations();
  REQUIRE(documented.size() >= 3);
  kemas::test::api_fixture api;
  std::size_t checked = 0;
  std::size_t web_pages = 0;
  for (const auto& r : api.application().routes().all()) {
    const std::string verb(kemas::http::method_name(r.verb));
    INFO(verb << " " << r.pattern);
    if (r.options.web_app) {  // the web app's pages and assets: documents, not API operations
      CHECK(verb == "GET");
      ++web_pages;
      continue;
    }
    auto it = documented.find(r.pattern);
    REQUIRE(it != documented.end());
    CHECK(it->second.contains(verb));
    ++checked;
  }
  CHECK(checked >= 14);
  CHECK(web_pages >= 2);  // "/" and "/assets/{name}" at least
  // And the other way round: nothing documented that no route serves.
  std::size_t operations = 0;
  for (const auto& [path, verbs] : documented)
    operations += verbs.size();
  CHECK(operations == checked);
}

TEST_CASE("the served paths match strictly: a trailing or doubled slash is 404") {
  kemas::test::api_fixture api;
  CHECK(api.call("GET", "/metrics").status == 200);
  for (const char* path : {"/metrics/", "//metrics", "/healthz/", "/api/v1//plans", "/api/v1/plans/"}) {
    CAPTURE(path);
    CHECK(api.call("GET", path).status == 404);
  }
}
