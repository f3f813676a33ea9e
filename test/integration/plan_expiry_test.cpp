// The `expire` and `expire-sweep` handlers against a scratch database, called directly (what
// they would publish is recorded by the test's scheduler): a due account goes free with its
// newest files locked until the rest fit and plan.expired with the counts; renewed or free
// accounts are left alone; an early arrival is re-delayed; nothing happens twice; the sweep
// finds every due account in keyset pages and applies them under the same expire ids as the
// delay path, a page per transaction;
// deleting files (the delete transaction) unlocks the locked ones that fit again, in order.

#include "adapters/metrics/registry.hpp"
#include "domain/rfc3339.hpp"
#include "test/support/amqp_fixture.hpp"
#include "test/support/pg_statements.hpp"
#include "test/support/plan_fixture.hpp"
#include "adapters/billing/demo_provider.hpp"
#include "adapters/postgres/commands/command_tx.hpp"
#include "adapters/postgres/commands/file_command_store.hpp"
#include "adapters/postgres/commands/plan_command_store.hpp"
#include "domain/commands/delete_file.hpp"
#include "domain/commands/expire.hpp"
#include "workers/handlers/expire_handler.hpp"
#include "workers/handlers/sweep_handler.hpp"
#include "workers/handlers/scheduled_commands.hpp"
#include "workers/worker_metrics.hpp"

#include <doctest/doctest.h>
#include <boost/json.hpp>
#include <soci/soci.h>

#include <map>
#include <set>
#include <span>

#include "adapters/support/random.hpp"

using namespace kemas;
using namespace std::chrono_literals;
using outcome = worker::handler_result::outcome;

namespace {

struct expiry_env {
  test::plan_database db{"expiry"};
  std::shared_ptr<test::recording_scheduler> scheduler = std::make_shared<test::recording_scheduler>();
  metrics::registry registry{"kemas-it-expiry"};
  worker::worker_metrics metrics{registry};
  worker::plan_ports ports;

  expiry_env() {
    db.set_plan("free", 1000, std::nullopt);
    ports = test::plan_ports_on(db, scheduler);
    ports.count_expiry = [this](std::string_view outcome) { metrics.plan_expiry(outcome); };
  }

  worker::handler_result expire(const commands::envelope& command) {
    return worker::expire_handler(ports).handle(command);
  }

  // The expire the delay path would deliver for the account's stored expiry.
  commands::envelope expire_of(const std::string& user) {
    const auto due = db.account_of(user).expires_at;
    REQUIRE(due);
    return worker::make_expire_command(test::uuid_of(user), *due, test::unique_id("req"));
  }

  std::string metric(const std::string& outcome_label) {
    const std::string text = registry.render();
    const std::string key = "kemas_plan_expiries_total{outcome=\"" + outcome_label + "\"} ";
    const auto at = text.find(key);
    return at == std::string::npos ? "absent" : text.substr(at + key.size(), text.find('\n', at) - at - key.size());
  }
};

}  // namespace

TEST_CASE("a due expire downgrades and locks the newest files until the rest fit") {
  expiry_env env;
  const std::string user = env.db.make_user("premium", "now() - interval '1 second'");
  const auto oldest = env.db.add_file(user, "1.bin", 400, 40);
  const auto second = env.db.add_file(user, "2.bin", 400, 30);
  const auto third = env.db.add_file(user, "3.bin", 400, 20);   // 1,200 > 1,000 from here
  const auto newest = env.db.add_file(user, "4.bin", 100, 10);  // would fit alone: locked too

  const auto command = env.expire_of(user);
  const auto result = env.expire(command);
  REQUIRE_MESSAGE(result.what == outcome::done, result.reason);

  const auto account = env.db.account_of(user);
  CHECK(account.plan == "free");
  CHECK_FALSE(account.expires_at);
  CHECK(account.used_bytes == 1300);  // nothing deleted
  const auto states = env.db.file_states(user);
  CHECK(states.at(oldest) == "active");
  CHECK(states.at(second) == "active");
  CHECK(states.at(third) == "locked");
  CHECK(states.at(newest) == "locked");

  const auto events = env.db.events_of_type("plan.expired");
  REQUIRE(events.size() == 1);
  CHECK(test::event_schema_problems(events[0]) == "");
  const auto& data = events[0].at("data").as_object();
  CHECK(data.at("from_plan").as_string() == "premium");
  CHECK(data.at("locked").to_number<long long>() == 2);
  CHECK(data.at("unlocked").to_number<long long>() == 0);
  CHECK(data.at("used_bytes").to_number<long long>() == 1300);
  CHECK(data.at("quota_bytes").to_number<long long>() == 1000);
  CHECK(events[0].at("actor").at("user_id").is_null());
  CHECK(events[0].at("subject").at("id").as_string() == user);
  CHECK(env.metric("downgraded") == "1");

  SUBCASE("the same command again does nothing") {
    REQUIRE(env.expire(command).what == outcome::done);
    CHECK(env.db.events_of_type("plan.expired").size() == 1);
    CHECK(env.metric("downgraded") == "1");
  }
  SUBCASE("a copy under another id finds the account free") {
    auto copy = command;
    copy.id = worker::derived_command_id("another copy " + user);
    REQUIRE(env.expire(copy).what == outcome::done);
    CHECK(env.db.events_of_type("plan.expired").size() == 1);
    CHECK(env.metric("already_free") == "1");
    CHECK(env.db.file_states(user) == states);
  }
  CHECK(env.scheduler->taken().empty());
}

TEST_CASE("an expire that finds the plan renewed changes nothing") {
  expiry_env env;
  const std::string user = env.db.make_user("premium", "now() + interval '1 hour'");
  env.db.add_file(user, "big.bin", 5000, 10);
  // Scheduled by the first upgrade for an end that a renewal has since moved.
  const auto stale = worker::make_expire_command(test::uuid_of(user), test::now_ms() - 2s, "req-old");
  REQUIRE(env.expire(stale).what == outcome::done);
  const auto account = env.db.account_of(user);
  CHECK(account.plan == "premium");
  CHECK(account.expires_at);
  CHECK(env.db.file_states(user).begin()->second == "active");
  CHECK(env.db.events_of_type("plan.expired").empty());
  CHECK(env.metric("renewed") == "1");
  CHECK(env.db.count("SELECT count(*) FROM processed_commands WHERE command_id = CAST(:c AS uuid)",
                     stale.id) == 1);
  CHECK(env.scheduler->taken().empty());
}

TEST_CASE("an expire that arrives early is re-delayed unchanged") {
  expiry_env env;
  const std::string user = env.db.make_user("premium", "now() + interval '1 hour'");
  const auto command = env.expire_of(user);
  REQUIRE(env.expire(command).what == outcome::done);
  CHECK(env.db.account_of(user).plan == "premium");
  auto scheduled = env.scheduler->taken();
  REQUIRE(scheduled.size() == 1);
  CHECK(scheduled[0].command == command);
  CHECK(scheduled[0].due_at == *env.db.account_of(user).expires_at);
  CHECK(env.metric("not_due") == "1");
  CHECK(env.db.count("SELECT count(*) FROM processed_commands WHERE command_id = CAST(:c AS uuid)",
                     command.id) == 0);

  SUBCASE("the worker's clock ahead of the database's: re-delayed for the database's rest") {
    const auto worker_now = *env.db.account_of(user).expires_at + 1s;
    env.ports.now = [worker_now] { return worker_now; };
    REQUIRE(env.expire(command).what == outcome::done);
    CHECK(env.db.account_of(user).plan == "premium");
    scheduled = env.scheduler->taken();
    REQUIRE(scheduled.size() == 2);
    CHECK(scheduled[1].command == command);
    // About an hour from the worker's (fake) now: what the database says is left.
    CHECK(scheduled[1].due_at > worker_now + 59min);
    CHECK(scheduled[1].due_at <= worker_now + 60min);
  }
  SUBCASE("a failed re-delay asks for a retry") {
    env.scheduler->answer({false, "connection_lost: gone (test)"});
    CHECK(env.expire(command).what == outcome::retry);
  }
}

TEST_CASE("an expire for a free account or a malformed one") {
  expiry_env env;
  const std::string user = env.db.make_user();
  const auto command = worker::make_expire_command(test::uuid_of(user), test::now_ms() - 1s, "r");
  REQUIRE(env.expire(command).what == outcome::done);
  CHECK(env.metric("already_free") == "1");
  auto broken = command;
  broken.payload = {{"user_id", "nope"}};
  CHECK(env.expire(broken).what == outcome::reject);
}

TEST_CASE("the sweep downgrades every due account in page transactions under the expire ids") {
  expiry_env env;
  std::set<std::string> due;
  for (int i = 0; i < 7; ++i)
    due.insert(env.db.make_user("premium", "now() - interval '" + std::to_string(i + 1) + " minutes'"));
  // Same expiry time for two accounts: the keyset must not skip one.
  const auto same_a = env.db.make_user("premium", "date_trunc('second', now()) - interval '1 hour'");
  const auto same_b = env.db.make_user("premium", "date_trunc('second', now()) - interval '1 hour'");
  due.insert(same_a);
  due.insert(same_b);
  const auto later = env.db.make_user("premium", "now() + interval '1 hour'");  // not due
  const auto free_user = env.db.make_user();
  // The expire the delay path would deliver for each, taken before the sweep.
  std::map<std::string, commands::envelope> delayed;
  for (const auto& user : due)
    delayed.emplace(user, env.expire_of(user));

  const auto sweep = commands::make_envelope(
      commands::expire_sweep{},
      {worker::derived_command_id(test::unique_id("manual sweep")), test::now_ms(), "req-sweep", {}});
  const auto result = worker::sweep_handler(env.ports, 3).handle(sweep);
  REQUIRE_MESSAGE(result.what == outcome::done, result.reason);

  CHECK(env.scheduler->taken().empty());  // applied here, nothing sent through the broker
  for (const auto& user : due)
    CHECK(env.db.account_of(user).plan == "free");
  CHECK(env.db.account_of(later).plan == "premium");
  CHECK(env.db.account_of(free_user).plan == "free");
  CHECK(env.metric("downgraded") == std::to_string(due.size()));
  const auto events = env.db.events_of_type("plan.expired");
  CHECK(events.size() == due.size());
  for (const auto& event : events)
    CHECK(event.at("request_id").as_string() == "req-sweep");

  // Recorded under the same ids as the delay path's: those arrive later and do nothing.
  for (const auto& [user, command] : delayed)
    REQUIRE(env.expire(command).what == outcome::done);
  CHECK(env.db.events_of_type("plan.expired").size() == due.size());
  CHECK(env.metric("downgraded") == std::to_string(due.size()));

  // The same sweep command again does nothing; a new sweep finds nobody due.
  REQUIRE(worker::sweep_handler(env.ports, 3).handle(sweep).what == outcome::done);
  auto again = sweep;
  again.id = worker::derived_command_id(test::unique_id("second sweep"));
  REQUIRE(worker::sweep_handler(env.ports, 3).handle(again).what == outcome::done);
  CHECK(env.db.events_of_type("plan.expired").size() == due.size());
  CHECK(env.scheduler->taken().empty());
}

TEST_CASE("deleting files until usage fits unlocks the locked files oldest first") {
  expiry_env env;
  const std::string user = env.db.make_user();  // free: 1,000 bytes
  const auto first = env.db.add_file(user, "1.bin", 400, 40);
  const auto second = env.db.add_file(user, "2.bin", 400, 30);
  const auto third = env.db.add_file(user, "3.bin", 400, 20, "locked");
  const auto fourth = env.db.add_file(user, "4.bin", 300, 10, "locked");

  auto remove = [&](const std::string& file_id) {
    const commands::delete_file request{test::uuid_of(user), test::uuid_of(file_id)};
    const auto command = commands::make_envelope(
        request,
        {worker::derived_command_id(test::unique_id("delete")), test::now_ms(), "req-delete", {}});
    return postgres::file_command_store(env.db.pool()).delete_file(command, request);
  };

  REQUIRE(remove(second).deleted);  // 1,100 left: the third fits again, the fourth not yet
  auto states = env.db.file_states(user);
  CHECK(states.at(first) == "active");
  CHECK(states.at(third) == "active");
  CHECK(states.at(fourth) == "locked");
  REQUIRE(remove(first).deleted);  // 700 left: everything fits
  states = env.db.file_states(user);
  CHECK(states.at(third) == "active");
  CHECK(states.at(fourth) == "active");
  CHECK(env.db.account_of(user).used_bytes == 700);
  const auto events = env.db.events_of_type("file.deleted");
  REQUIRE(events.size() == 2);
  CHECK(events[0].at("data").at("unlocked").to_number<long long>() == 1);
  CHECK(events[1].at("data").at("unlocked").to_number<long long>() == 1);
  CHECK(test::event_schema_problems(events[1]) == "");
}

TEST_CASE("plan locks read the owner's files only when one is locked or usage is over the quota") {
  expiry_env env;
  test::pg_statement_meter meter(env.db.name(), env.db.settings());
  const auto owner_files_read = [&] { return meter.statements_like("SELECT id::text, size_bytes%"); };
  auto remove = [&](const std::string& user, const std::string& file_id) {
    const commands::delete_file request{test::uuid_of(user), test::uuid_of(file_id)};
    const auto command = commands::make_envelope(
        request,
        {worker::derived_command_id(test::unique_id("delete")), test::now_ms(), "req-delete", {}});
    return postgres::file_command_store(env.db.pool()).delete_file(command, request);
  };

  // Nothing locked and within the quota: nothing can change, and no file is read.
  const std::string fits = env.db.make_user();  // free: 1,000 bytes
  const auto gone = env.db.add_file(fits, "1.bin", 300, 30);
  env.db.add_file(fits, "2.bin", 300, 20);
  long long reads = owner_files_read();
  REQUIRE(remove(fits, gone).deleted);
  CHECK(owner_files_read() == reads);
  // An expire or upgrade to a quota the files fit in, nothing locked: the same.
  const auto applied = env.db.sql([&](soci::session& sql) {
    return postgres::command_tx::apply_plan_locks(sql, test::uuid_of(fits), 300);
  });
  CHECK(applied.locked + applied.unlocked == 0);
  CHECK(owner_files_read() == reads);
  // Over that quota: read, and the newest locked.
  const auto tighter = env.db.sql([&](soci::session& sql) {
    return postgres::command_tx::apply_plan_locks(sql, test::uuid_of(fits), 299);
  });
  CHECK(tighter.locked == 1);
  CHECK(owner_files_read() == reads + 1);

  // A locked file: it may fit now, so the files are read (and it is unlocked).
  const std::string locked = env.db.make_user();
  const auto big = env.db.add_file(locked, "big.bin", 900, 30);
  const auto held = env.db.add_file(locked, "held.bin", 300, 10, "locked");
  reads = owner_files_read();
  REQUIRE(remove(locked, big).deleted);
  CHECK(owner_files_read() == reads + 1);
  CHECK(env.db.file_states(locked).at(held) == "active");

  // Over the quota in force with nothing locked (a premium past due, not swept yet): the
  // files are read and the newest locked, as expire will.
  const std::string past_due = env.db.make_user("premium", "now() - interval '1 second'");
  const auto oldest = env.db.add_file(past_due, "a.bin", 600, 30);
  const auto middle = env.db.add_file(past_due, "b.bin", 600, 20);
  const auto newest = env.db.add_file(past_due, "c.bin", 600, 10);
  reads = owner_files_read();
  REQUIRE(remove(past_due, oldest).deleted);  // 1,200 left against the free 1,000
  CHECK(owner_files_read() == reads + 1);
  const auto states = env.db.file_states(past_due);
  CHECK(states.at(middle) == "active");
  CHECK(states.at(newest) == "locked");
}

TEST_CASE("a group of expires commits together with the outcome each would have alone") {
  expiry_env env;
  // Due and over the free quota (files lock), due and within it (a stale lock is lifted),
  // renewed, already free, not due yet, one whose command ran before, one for a gone account,
  // a repeated account, and a malformed payload.
  const std::string over = env.db.make_user("premium", "now() - interval '1 second'");
  env.db.add_file(over, "old.bin", 800, 30);
  const auto over_newest = env.db.add_file(over, "new.bin", 800, 10);
  const std::string fits = env.db.make_user("premium", "now() - interval '2 seconds'");
  const auto stale_lock = env.db.add_file(fits, "kept.bin", 300, 10, "locked");
  const std::string renewed = env.db.make_user("premium", "now() + interval '1 hour'");
  const std::string free_user = env.db.make_user("free");
  const std::string early = env.db.make_user("premium", "now() + interval '1 hour'");
  const std::string done_before = env.db.make_user("premium", "now() - interval '1 second'");

  std::vector<commands::envelope> group;
  group.push_back(env.expire_of(over));
  group.push_back(env.expire_of(fits));
  group.push_back(worker::make_expire_command(test::uuid_of(renewed), test::now_ms() - 2s, "r1"));
  group.push_back(worker::make_expire_command(test::uuid_of(free_user), test::now_ms() - 2s, "r2"));
  group.push_back(env.expire_of(early));  // due in an hour: re-delayed, not in the transaction
  const auto earlier = env.expire_of(done_before);
  REQUIRE(env.expire(earlier).what == outcome::done);
  group.push_back(earlier);
  group.push_back(worker::make_expire_command(kemas::support::random_uuid(), test::now_ms() - 2s, "r3"));
  group.push_back(worker::make_expire_command(test::uuid_of(over), test::now_ms() - 1s, "r4"));
  auto malformed = group.front();
  malformed.id = worker::derived_command_id("malformed");
  malformed.payload = boost::json::object{{"user_id", "nope"}};
  group.push_back(malformed);

  worker::expire_handler handler(env.ports, 64);
  const long long before = env.db.count(
      "SELECT count(*) FROM outbox WHERE event->>'type' = :t", "plan.expired");
  const auto results = handler.handle_group(group);
  REQUIRE(results.size() == group.size());
  for (std::size_t i = 0; i + 1 < results.size(); ++i)
    CHECK_MESSAGE(results[i].what == outcome::done, i << ": " << results[i].reason);
  CHECK(results.back().what == outcome::reject);

  CHECK(env.db.account_of(over).plan == "free");
  CHECK(env.db.file_states(over).at(over_newest) == "locked");
  CHECK(env.db.account_of(fits).plan == "free");
  CHECK(env.db.file_states(fits).at(stale_lock) == "active");
  CHECK(env.db.account_of(renewed).plan == "premium");
  CHECK(env.db.account_of(early).plan == "premium");
  CHECK(env.scheduler->taken().size() == 1);  // the early one, re-delayed
  // One plan.expired per downgraded account (over, fits; done_before's was written before).
  const auto events = env.db.events_of_type("plan.expired");
  CHECK(static_cast<long long>(events.size()) - before == 2);
  std::map<std::string, boost::json::object> by_user;
  for (const auto& e : events)
    by_user[std::string(e.at("subject").at("id").as_string())] = e.at("data").as_object();
  CHECK(test::event_schema_problems(events.back()) == "");
  CHECK(by_user.at(over).at("locked").to_number<long long>() == 1);
  CHECK(by_user.at(fits).at("unlocked").to_number<long long>() == 1);
  CHECK(by_user.at(fits).at("used_bytes").to_number<long long>() == 300);
  // Every decided command is recorded, so a redelivery does nothing.
  for (std::size_t i : {0u, 1u, 2u, 3u})
    CHECK(env.db.count("SELECT count(*) FROM processed_commands WHERE command_id = CAST(:c AS uuid)",
                       group[i].id) == 1);
  const auto again = handler.handle_group(std::span(group).first(4));
  for (const auto& r : again)
    CHECK(r.what == outcome::done);
  CHECK(env.db.events_of_type("plan.expired").size() == events.size());
  CHECK(env.metric("downgraded") == "3");
}
