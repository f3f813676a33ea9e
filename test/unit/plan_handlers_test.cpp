// The upgrade, expire and expire-sweep handlers against in-memory ports: the payment decision
// taken outside the store's transactions, failed orders, retries that charge once and schedule
// again, expiry decided by the database's clock with early arrivals re-delayed, and the sweep's
// keyset walk. The SQL is covered by plan_upgrade_test and plan_expiry_test (PostgreSQL).

#include "domain/commands/expire.hpp"
#include "domain/commands/expire_sweep.hpp"
#include "domain/commands/upgrade.hpp"
#include "test/support/ids.hpp"
#include "test/support/memory_ports.hpp"
#include "test/support/memory_stores.hpp"
#include "workers/handlers/expire_handler.hpp"
#include "workers/handlers/scheduled_commands.hpp"
#include "workers/handlers/sweep_handler.hpp"
#include "workers/handlers/upgrade_handler.hpp"

#include <doctest/doctest.h>

#include <set>

using namespace kemas;
using namespace std::chrono_literals;
using outcome = worker::handler_result::outcome;

namespace {

using test::sequential_id;

struct plan_env {
  std::shared_ptr<test::memory_plan_commands> store =
      std::make_shared<test::memory_plan_commands>();
  std::shared_ptr<test::recording_scheduler> scheduler =
      std::make_shared<test::recording_scheduler>();
  std::shared_ptr<test::scripted_payments> payments = std::make_shared<test::scripted_payments>();
  worker::plan_ports ports;
  uuid buyer = sequential_id();

  plan_env() {
    store->add_plan({1, "free", 1000, 0, "USD", std::nullopt});
    store->add_plan({2, "premium", 10'000, 500, "USD", 30 * 24 * 3600});
    store->add_plan({3, "lifetime", 10'000, 9900, "USD", std::nullopt});
    store->add_account(buyer, {});
    ports.store = store;
    ports.scheduler = scheduler;
    ports.payments = payments;
    ports.now = [this] { return store->now; };  // the worker's clock agrees with the database's
  }

  commands::envelope upgrade(const std::string& plan, std::optional<uuid> order = std::nullopt) {
    return commands::make_envelope(commands::upgrade{buyer, order.value_or(sequential_id()), plan},
                                   {sequential_id().to_string(), store->now, "req-upgrade", {}});
  }
  worker::handler_result run_upgrade(const commands::envelope& command) {
    return worker::upgrade_handler(ports).handle(command);
  }
  worker::handler_result run_expire(const commands::envelope& command) {
    return worker::expire_handler(ports).handle(command);
  }
  static uuid order_of(const commands::envelope& e) {
    return commands::decode_as<commands::upgrade>(e)->order_id;
  }
};

}  // namespace

TEST_CASE("upgrade: charged once and paid then the expire scheduled for the new end") {
  plan_env env;
  const auto command = env.upgrade("premium");
  REQUIRE(env.run_upgrade(command).what == outcome::done);
  const auto account = env.store->account_of(env.buyer);
  CHECK(account->plan == "premium");
  CHECK(account->expires_at == env.store->now + std::chrono::hours(24 * 30));
  CHECK(env.payments->charged() ==
        std::vector<std::string>{plan_env::order_of(command).to_string()});
  const auto scheduled = env.scheduler->taken();
  REQUIRE(scheduled.size() == 1);
  CHECK(scheduled[0].due_at == *account->expires_at);
  CHECK(scheduled[0].command.id ==
        worker::make_expire_command(env.buyer, *account->expires_at, "x").id);

  // Redelivered: not charged again, the expire scheduled again (scheduling is at least once).
  REQUIRE(env.run_upgrade(command).what == outcome::done);
  CHECK(env.payments->charged().size() == 1);
  CHECK(env.scheduler->taken().size() == 2);
  // Another command carrying the same order is the same upgrade.
  REQUIRE(env.run_upgrade(env.upgrade("premium", plan_env::order_of(command))).what ==
          outcome::done);
  CHECK(env.payments->charged().size() == 1);
  CHECK(env.store->events() == std::vector<std::string>{"plan.upgraded"});
}

TEST_CASE("upgrade: orders that cannot be paid fail without touching the plan") {
  plan_env env;
  for (const std::string plan : {"free", "lifetime"}) {
    const auto command = env.upgrade(plan);
    REQUIRE(env.run_upgrade(command).what == outcome::done);
    CHECK(env.store->order(plan_env::order_of(command))->reason == "plan_not_purchasable");
  }
  CHECK(env.payments->charged().empty());  // nothing charged for a plan that cannot be bought

  env.payments->answer(ports::payment_outcome::declined("card expired"));
  const auto declined = env.upgrade("premium");
  REQUIRE(env.run_upgrade(declined).what == outcome::done);
  CHECK(env.store->order(plan_env::order_of(declined))->reason == "payment_declined: card expired");
  CHECK(env.store->account_of(env.buyer)->plan == "free");
  CHECK(env.scheduler->taken().empty());

  env.payments->answer(ports::payment_outcome::unavailable("503 (test)"));
  const auto later = env.upgrade("premium");
  const auto result = env.run_upgrade(later);
  CHECK(result.what == outcome::retry);
  CHECK(result.reason.find("payment provider scripted unavailable") != std::string::npos);
  CHECK_FALSE(env.store->order(plan_env::order_of(later)));

  CHECK(env.run_upgrade(env.upgrade("gold")).what == outcome::reject);
  env.buyer = sequential_id();  // nobody
  CHECK(env.run_upgrade(env.upgrade("premium")).what == outcome::reject);
}

TEST_CASE("upgrade: a failed schedule retries and the retry does not pay twice") {
  plan_env env;
  const auto command = env.upgrade("premium");
  env.scheduler->answer({false, "timeout: no confirm (test)"});
  const auto first = env.run_upgrade(command);
  CHECK(first.what == outcome::retry);
  CHECK(first.reason.find("scheduling the expire failed") != std::string::npos);
  CHECK(env.store->account_of(env.buyer)->plan == "premium");  // committed before scheduling
  env.scheduler->answer({});
  REQUIRE(env.run_upgrade(command).what == outcome::done);
  CHECK(env.payments->charged().size() == 1);

  SUBCASE("and a database outage before the charge retries with nothing charged") {
    env.store->fail_next(1);
    CHECK(env.run_upgrade(env.upgrade("premium")).what == outcome::retry);
    CHECK(env.payments->charged().size() == 1);
  }
}

TEST_CASE("expire: due downgrades and early is re-delayed and renewed or free changes nothing") {
  plan_env env;
  const timestamp end = env.store->now + 1h;
  env.store->add_account(env.buyer, {"premium", end});
  const auto command = worker::make_expire_command(env.buyer, end, "req");

  // Early by the worker's clock: re-delayed unchanged, nothing recorded.
  REQUIRE(env.run_expire(command).what == outcome::done);
  auto scheduled = env.scheduler->taken();
  REQUIRE(scheduled.size() == 1);
  CHECK(scheduled[0].command == command);
  CHECK(scheduled[0].due_at == end);
  CHECK_FALSE(env.store->was_processed(command.id));

  // The worker's clock ahead of the database's: re-delayed for what the database says is left.
  env.ports.now = [end] { return end + 1s; };
  REQUIRE(env.run_expire(command).what == outcome::done);
  scheduled = env.scheduler->taken();
  REQUIRE(scheduled.size() == 2);
  CHECK(scheduled[1].due_at == end + 1s + 1h);
  CHECK(env.store->account_of(env.buyer)->plan == "premium");

  // Due by both clocks: downgraded once.
  env.store->now = end;
  REQUIRE(env.run_expire(command).what == outcome::done);
  CHECK(env.store->account_of(env.buyer)->plan == "free");
  REQUIRE(env.run_expire(command).what == outcome::done);
  CHECK(env.store->events() == std::vector<std::string>{"plan.expired"});

  // A stale expire of a renewed plan changes nothing.
  env.store->add_account(env.buyer, {"premium", end + 24h});
  REQUIRE(env.run_expire(worker::make_expire_command(env.buyer, end - 1s, "old")).what ==
          outcome::done);
  CHECK(env.store->account_of(env.buyer)->plan == "premium");

  env.scheduler->answer({false, "connection_lost: gone (test)"});
  env.ports.now = [end] { return end - 1h; };
  CHECK(env.run_expire(worker::make_expire_command(env.buyer, end + 24h, "r")).what ==
        outcome::retry);
}

TEST_CASE("expire-sweep: every due account expired in one group per page and once per sweep") {
  plan_env env;
  std::set<uuid> due;
  for (int i = 0; i < 7; ++i) {
    const uuid user = sequential_id();
    env.store->add_account(user, {"premium", env.store->now - std::chrono::minutes(i + 1)});
    due.insert(user);
  }
  const uuid twin_a = sequential_id();
  const uuid twin_b = sequential_id();
  env.store->add_account(twin_a, {"premium", env.store->now - 1h});  // the same expiry:
  env.store->add_account(twin_b, {"premium", env.store->now - 1h});  // the keyset keeps both
  due.insert(twin_a);
  due.insert(twin_b);
  const uuid later = sequential_id();
  env.store->add_account(later, {"premium", env.store->now + 1h});  // not due

  const auto sweep = commands::make_envelope(
      commands::expire_sweep{}, {sequential_id().to_string(), env.store->now, "req-sweep", {}});
  REQUIRE(worker::sweep_handler(env.ports, 3).handle(sweep).what == outcome::done);
  CHECK(env.store->groups_applied == 3);     // 9 due accounts, pages of 3
  CHECK(env.scheduler->taken().empty());     // nothing went through the broker
  for (const uuid& user : due) {
    CHECK(env.store->account_of(user)->plan == "free");
  }
  CHECK(env.store->account_of(later)->plan == "premium");
  CHECK(env.store->events().size() == due.size());  // one plan.expired each
  CHECK(env.store->was_processed(sweep.id));

  // A delayed expire of a swept account arrives later: the sweep recorded its id.
  const auto delayed = worker::make_expire_command(twin_a, env.store->now - 1h, "req-upgrade");
  CHECK(env.store->was_processed(delayed.id));
  REQUIRE(env.run_expire(delayed).what == outcome::done);
  CHECK(env.store->events().size() == due.size());

  REQUIRE(worker::sweep_handler(env.ports, 3).handle(sweep).what == outcome::done);
  CHECK(env.store->groups_applied == 3);  // the finished sweep does nothing again

  env.store->fail_next(1);
  const auto again = commands::make_envelope(
      commands::expire_sweep{}, {sequential_id().to_string(), env.store->now, "req-2", {}});
  CHECK(worker::sweep_handler(env.ports, 3).handle(again).what == outcome::retry);
  CHECK_FALSE(env.store->was_processed(again.id));
}

TEST_CASE("expire-sweep: a poisoned account goes to the queue alone and a transient fault retries the sweep") {
  plan_env env;
  std::vector<uuid> users;
  for (int i = 0; i < 4; ++i) {
    users.push_back(sequential_id());
    env.store->add_account(users.back(), {"premium", env.store->now - std::chrono::minutes(10 - i)});
  }
  env.store->poison(users[1], false);
  const auto sweep = commands::make_envelope(
      commands::expire_sweep{}, {sequential_id().to_string(), env.store->now, "req-sweep", {}});
  REQUIRE(worker::sweep_handler(env.ports, 2).handle(sweep).what == outcome::done);
  CHECK(env.store->account_of(users[0])->plan == "free");  // its group failed; alone it applied
  CHECK(env.store->account_of(users[1])->plan == "premium");
  CHECK(env.store->account_of(users[2])->plan == "free");
  CHECK(env.store->account_of(users[3])->plan == "free");
  const auto handed = env.scheduler->taken();
  REQUIRE(handed.size() == 1);
  const auto expire = commands::decode_as<commands::expire>(handed[0].command);
  REQUIRE(expire.has_value());
  CHECK(expire->user_id == users[1]);
  CHECK(handed[0].command.request_id == "req-sweep");

  // The same account failing transiently: the sweep retries as a whole, not recorded, and
  // nothing is handed over; the next attempt after the fault finishes it.
  env.store->poison(users[1], true);
  const auto second = commands::make_envelope(
      commands::expire_sweep{}, {sequential_id().to_string(), env.store->now, "req-2", {}});
  CHECK(worker::sweep_handler(env.ports, 2).handle(second).what == outcome::retry);
  CHECK_FALSE(env.store->was_processed(second.id));
  CHECK(env.scheduler->taken().size() == 1);

  env.scheduler->answer({false, "timeout (test)"});
  env.store->poison(users[1], false);
  CHECK(worker::sweep_handler(env.ports, 2).handle(second).what == outcome::retry);  // hand-over unpublished
  CHECK_FALSE(env.store->was_processed(second.id));
}
