// Plan rules of domain/model/plan: names, what can be bought, and what a patch changes (the
// before/after that the plan.updated event carries).
#include <doctest/doctest.h>

#include <boost/json/serialize.hpp>

#include <string>
#include <vector>

#include "domain/model/plan.hpp"

using namespace kemas;

namespace {

model::plan premium() {
  return {.id = 2,
          .name = "premium",
          .display_name = "Premium",
          .quota_bytes = 100,
          .max_file_bytes = 10,
          .price_cents = 500,
          .currency = "EUR",
          .duration_seconds = 2'592'000,
          .is_public = true};
}

}  // namespace

TEST_CASE("plan names are short lower-case keys starting with a letter") {
  for (const auto& name :
       std::vector<std::string>{"premium", "team-2_x", "a", std::string(32, 'a')})
    CHECK_MESSAGE(model::is_plan_name(name), name);
  for (const auto& name :
       std::vector<std::string>{"", "2team", "Premium", "pro plan", std::string(33, 'a')})
    CHECK_FALSE_MESSAGE(model::is_plan_name(name), name);
}

TEST_CASE("only a plan that ends and is not the fallback can be bought") {
  CHECK(model::is_purchasable("premium", 3600));
  CHECK_FALSE(model::is_purchasable("premium", std::nullopt));
  CHECK_FALSE(model::is_purchasable("premium", 0));
  CHECK_FALSE(model::is_purchasable("free", 3600));
}

TEST_CASE("a patch changes only what it names and records each change before and after") {
  model::plan_patch patch;
  patch.quota_bytes = 200;
  patch.currency = "EUR";                                  // the same value: not a change
  patch.duration_seconds = std::optional<std::int64_t>{};  // never expires from now on
  patch.is_public = false;
  const auto change = model::apply_patch(premium(), patch);

  CHECK(change.next.quota_bytes == 200);
  CHECK(change.next.currency == "EUR");
  CHECK_FALSE(change.next.duration_seconds.has_value());
  CHECK_FALSE(change.next.is_public);
  CHECK(change.next.display_name == "Premium");
  CHECK(boost::json::serialize(change.before) ==
        R"({"quota_bytes":100,"duration_seconds":2592000,"public":true})");
  CHECK(boost::json::serialize(change.after) ==
        R"({"quota_bytes":200,"duration_seconds":null,"public":false})");
}

TEST_CASE("an empty patch changes nothing") {
  const auto change = model::apply_patch(premium(), {});
  CHECK(change.before.empty());
  CHECK(change.after.empty());
  CHECK(change.next.quota_bytes == 100);
}
