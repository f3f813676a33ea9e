// The api's plan and billing services against in-memory ports: the catalog, admin changes
// validated field by field with their events, the upgrade's checks before a command is
// published and its wait for the worker's order, order paging, and the sweep trigger. The
// adapters and the worker side are the integration tests' (plans_api_test, billing_api_test).

#include "app/services/billing_service.hpp"
#include "app/services/plan_service.hpp"
#include "domain/commands/expire_sweep.hpp"
#include "domain/commands/upgrade.hpp"
#include "test/support/ids.hpp"
#include "test/support/io_threads.hpp"
#include "test/support/memory_api_ports.hpp"

#include <doctest/doctest.h>

using namespace kemas;
using namespace std::chrono_literals;

namespace {

using test::sequential_id;

struct billing_env {
  test::io_threads io{1};
  test::memory_plan_store plans;
  test::memory_billing_store billing;
  test::memory_command_bus bus;
  app::command_sender commands{bus};
  app::plan_service plan_service{plans};
  test::memory_settle_signals signals;
  app::billing_service billing_service{plans, billing, commands, signals, 2s};
  principal who;
  app::request_meta meta{.request_id = "req-admin", .client_ip = "203.0.113.9", .user_agent = {}};

  billing_env() {
    who.user_id = sequential_id();
    who.role = role::admin;
    add_plan("free", std::nullopt, 0, true);
    add_plan("premium", 30 * 24 * 3600, 500, true);
    add_plan("staff", 3600, 0, false);
    billing.subscriptions[who.user_id] = {"free", "Free", std::nullopt, 0, 1000, 100, false};
  }

  void add_plan(std::string name, std::optional<std::int64_t> duration, std::int64_t price,
                bool is_public) {
    app::plan_input in;
    in.name = name;
    in.fields.display_name = name;
    in.fields.quota_bytes = 1000;
    in.fields.max_file_bytes = 100;
    in.fields.price_cents = price;
    in.fields.currency = "USD";
    in.fields.duration_seconds = duration;
    in.fields.is_public = is_public;
    REQUIRE(io.run(plan_service.create(who, in, meta)).has_value());
  }

  std::string upgrade_error(const std::string& package) {
    auto r = io.run(billing_service.upgrade(who, package, true, {"req-up", who.user_id, "::1"}));
    return r ? std::string("ok") : std::string(code_name(r.error().code)) + "/" + r.error().field;
  }
};

}  // namespace

TEST_CASE("plans: the catalog is the public plans and admin input is checked field by field") {
  billing_env env;
  const auto catalog = env.io.run(env.plan_service.catalog());
  std::vector<std::string> names;
  for (const auto& p : catalog)
    names.push_back(p.name);
  CHECK(names == std::vector<std::string>{"free", "premium"});  // cheapest first, staff hidden
  CHECK(env.io.run(env.plan_service.all()).size() == 3);

  auto field_of = [&](app::plan_input in) {
    auto r = env.io.run(env.plan_service.create(env.who, std::move(in), env.meta));
    return r ? std::string("ok") : r.error().field;
  };
  app::plan_input good;
  good.name = "gold";
  good.fields.display_name = "Gold";
  good.fields.quota_bytes = 5000;
  good.fields.max_file_bytes = 500;
  auto bad = good;
  bad.name = "Gold!";
  CHECK(field_of(bad) == "name");
  bad = good;
  bad.fields.currency = "usd";
  CHECK(field_of(bad) == "currency");
  bad = good;
  bad.fields.display_name.reset();
  CHECK(field_of(bad) == "display_name");
  CHECK(field_of(good) == "ok");
  CHECK(env.plans.events.back().type == "plan.created");
  CHECK(env.plans.events.back().actor_user == env.who.user_id);
  CHECK(env.plans.events.back().request_id == "req-admin");
}

TEST_CASE("plans: names never change and the fallback plan or one in use is not deleted") {
  billing_env env;
  const auto premium = env.io.run(env.plans.find_by_name("premium")).value();
  app::plan_input rename;
  rename.name = "premium2";
  const auto renamed =
      env.io.run(env.plan_service.update(env.who, std::to_string(premium.id), rename, env.meta));
  REQUIRE_FALSE(renamed.has_value());
  CHECK(renamed.error().field == "name");
  app::plan_input cheaper;
  cheaper.fields.price_cents = 400;
  const auto updated =
      env.io.run(env.plan_service.update(env.who, std::to_string(premium.id), cheaper, env.meta));
  REQUIRE(updated.has_value());
  CHECK(updated->price_cents == 400);

  const auto free = env.io.run(env.plans.find_by_name("free")).value();
  CHECK(env.io.run(env.plan_service.remove(env.who, std::to_string(free.id), env.meta))
            .error()
            .code == errc::conflict);
  env.plans.in_use.insert(premium.id);
  CHECK(env.io.run(env.plan_service.remove(env.who, std::to_string(premium.id), env.meta))
            .error()
            .code == errc::conflict);
  CHECK(env.io.run(env.plan_service.get("not-a-number")).error().code == errc::not_found);
}

TEST_CASE("upgrade: only a public plan that ends can be bought") {
  billing_env env;
  CHECK(env.upgrade_error("gold") == "not_found/package");
  CHECK(env.upgrade_error("staff") == "not_found/package");  // hidden
  CHECK(env.upgrade_error("free") == "validation_failed/package");
  CHECK(env.bus.published().empty());
  CHECK(env.upgrade_error("premium") == "ok");
  REQUIRE(env.bus.published().size() == 1);
  const auto command = commands::decode_as<commands::upgrade>(env.bus.published()[0]).value();
  CHECK(command.buyer == env.who.user_id);
  CHECK(command.plan == "premium");
}

TEST_CASE("upgrade: waits for the worker's order and answers with it and the subscription") {
  billing_env env;
  env.bus.on_publish = [&](const commands::envelope& e) {
    const auto upgrade = commands::decode_as<commands::upgrade>(e).value();
    env.billing.add_order(upgrade.buyer, {upgrade.order_id, "premium", 500, "USD", "paid", "",
                                          std::nullopt, 1'000'000});
    env.billing.subscriptions[upgrade.buyer].plan = "premium";
    env.signals.signal(upgrade.order_id);
  };
  const auto outcome = env.io.run(
      env.billing_service.upgrade(env.who, "premium", false, {"req-up", env.who.user_id, "::1"}));
  REQUIRE(outcome.has_value());
  REQUIRE(outcome->order);
  CHECK(outcome->order->id == outcome->order_id);
  CHECK(outcome->order->state == "paid");
  REQUIRE(outcome->subscription);
  CHECK(outcome->subscription->plan == "premium");

  SUBCASE("without a worker the client asked not to wait: pending") {
    env.bus.on_publish = nullptr;
    const auto pending = env.io.run(
        env.billing_service.upgrade(env.who, "premium", true, {"req-2", env.who.user_id, "::1"}));
    REQUIRE(pending.has_value());
    CHECK_FALSE(pending->order);
  }
  SUBCASE("the queue unavailable: 503 and nothing pending") {
    env.bus.fail_next(1);
    const auto refused = env.io.run(
        env.billing_service.upgrade(env.who, "premium", false, {"req-3", env.who.user_id, "::1"}));
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().code == errc::backend_unavailable);
  }
}

TEST_CASE("orders: newest first in pages and another user's order is 404") {
  billing_env env;
  for (int i = 0; i < 5; ++i)
    env.billing.add_order(env.who.user_id, {sequential_id(), "premium", 500, "USD", "paid", "",
                                            std::nullopt, 1000 + i});
  std::vector<std::int64_t> seen;
  std::optional<std::string> cursor;
  do {
    const auto page = env.io.run(env.billing_service.orders(env.who, std::string("2"), cursor));
    REQUIRE(page.has_value());
    for (const auto& o : page->orders)
      seen.push_back(o.created_us);
    cursor = page->next_cursor;
  } while (cursor);
  CHECK(seen == std::vector<std::int64_t>{1004, 1003, 1002, 1001, 1000});
  CHECK(env.io.run(env.billing_service.orders(env.who, std::nullopt, std::string("junk")))
            .error()
            .field == "cursor");

  principal stranger;
  stranger.user_id = sequential_id();
  const auto order_id = env.io.run(env.billing_service.orders(env.who, std::nullopt, std::nullopt))
                            ->orders.at(0)
                            .id.to_string();
  CHECK(env.io.run(env.billing_service.order(stranger, order_id)).error().code == errc::not_found);
  CHECK(env.io.run(env.billing_service.order(env.who, order_id)).has_value());
}

TEST_CASE("the sweep trigger publishes an expire-sweep with no user behind it") {
  billing_env env;
  const auto id = env.io.run(env.billing_service.request_sweep("req-sweep", "10.0.0.1"));
  REQUIRE(id.has_value());
  REQUIRE(env.bus.published().size() == 1);
  const auto& sent = env.bus.published()[0];
  CHECK(sent.id == *id);
  CHECK(sent.type == commands::command_type::expire_sweep);
  CHECK_FALSE(sent.actor.user_id);
  CHECK(sent.actor.ip == std::optional<std::string>("10.0.0.1"));
  CHECK(commands::decode_as<commands::expire_sweep>(sent)->slot == std::nullopt);
}
