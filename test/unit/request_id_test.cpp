#include <doctest/doctest.h>

#include <set>
#include <string>
#include <thread>
#include <vector>

#include "app/server/request_id.hpp"

using kemas::http::is_sane_request_id;
using kemas::http::request_id_for;

TEST_CASE("sane client request ids are kept") {
  CHECK(is_sane_request_id("abc"));
  CHECK(is_sane_request_id("3f2c1a9e-8d2b-4a51-9b1f-2f8a7c6d5e4b"));
  CHECK(is_sane_request_id("trace.1:2_3-4"));
  CHECK(is_sane_request_id(std::string(128, 'a')));
  CHECK(request_id_for(std::string_view("client-id-7")) == "client-id-7");
}

TEST_CASE("insane client request ids are replaced by a generated one") {
  CHECK_FALSE(is_sane_request_id(""));
  CHECK_FALSE(is_sane_request_id(std::string(129, 'a')));
  CHECK_FALSE(is_sane_request_id("has space"));
  CHECK_FALSE(is_sane_request_id("new\nline"));
  CHECK_FALSE(is_sane_request_id("<script>"));
  CHECK_FALSE(is_sane_request_id("quote\""));
  const auto replaced = request_id_for(std::string_view("bad id"));
  CHECK(replaced != "bad id");
  CHECK(replaced.size() == 36);
  CHECK(is_sane_request_id(replaced));
}

TEST_CASE("generated request ids are unique uuids") {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i)
    seen.insert(request_id_for(std::nullopt));
  CHECK(seen.size() == 1000);
  CHECK(seen.begin()->at(14) == '4');  // version 4
}

TEST_CASE("each thread generates its own ids and none repeats another thread's") {
  std::vector<std::string> first;
  std::vector<std::string> second;
  std::thread a([&] {
    for (int i = 0; i < 500; ++i)
      first.push_back(request_id_for(std::nullopt));
  });
  std::thread b([&] {
    for (int i = 0; i < 500; ++i)
      second.push_back(request_id_for(std::nullopt));
  });
  a.join();
  b.join();
  std::set<std::string> seen(first.begin(), first.end());
  seen.insert(second.begin(), second.end());
  CHECK(seen.size() == 1000);
}
