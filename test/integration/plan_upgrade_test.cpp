// The `upgrade` handler against a scratch database, called directly (no broker: the expire
// it schedules is recorded by the test's scheduler): the paid order, plan and expiry, an
// active subscription extended from its end, locked files unlocked, plan.upgraded, the
// expire scheduled again on every redelivery, nothing applied twice; orders that fail; and
// the worker's upload commit measured against the plan in force now (user_limits).

#include "adapters/billing/demo_provider.hpp"
#include "adapters/postgres/commands/file_command_store.hpp"
#include "adapters/postgres/commands/plan_command_store.hpp"
#include "adapters/support/random.hpp"
#include "domain/commands/expire.hpp"
#include "domain/model/object_key.hpp"
#include "domain/rfc3339.hpp"
#include "test/support/amqp_fixture.hpp"
#include "test/support/plan_fixture.hpp"
#include "workers/handlers/upgrade_handler.hpp"

#include <doctest/doctest.h>
#include <boost/json.hpp>
#include <soci/soci.h>

using namespace kemas;
using namespace std::chrono_literals;
using outcome = worker::handler_result::outcome;

namespace {

struct upgrade_env {
  test::plan_database db{"upgrade"};
  std::shared_ptr<test::recording_scheduler> scheduler = std::make_shared<test::recording_scheduler>();

  upgrade_env() {
    db.set_plan("free", 1000, std::nullopt);
    db.set_plan("premium", 10'000, 3);
  }

  worker::handler_result run(const commands::envelope& command,
                             std::shared_ptr<ports::payment_provider> payments =
                                 std::make_shared<billing::demo_provider>()) {
    return worker::upgrade_handler(test::plan_ports_on(db, scheduler, std::move(payments)))
        .handle(command);
  }

  struct order_row {
    std::string state;
    long long amount = 0;
    std::string currency;
    std::string reason;
    std::optional<timestamp> expires_at;
  };

  std::optional<order_row> order(const std::string& id) {
    return db.sql([&](soci::session& s) -> std::optional<order_row> {
      order_row o;
      long long expires_ms = 0;
      soci::indicator has_expiry = soci::i_null;
      soci::indicator has_reason = soci::i_null;
      s << "SELECT state, amount_cents, currency, reason, "
           "ceil(extract(epoch FROM expires_at) * 1000)::bigint FROM orders "
           "WHERE id = CAST(:id AS uuid)",
          soci::use(id), soci::into(o.state), soci::into(o.amount), soci::into(o.currency),
          soci::into(o.reason, has_reason), soci::into(expires_ms, has_expiry);
      if (!s.got_data())
        return std::nullopt;
      if (has_expiry == soci::i_ok)
        o.expires_at = timestamp(std::chrono::milliseconds(expires_ms));
      if (has_reason != soci::i_ok)
        o.reason.clear();
      return o;
    });
  }
};

}  // namespace

TEST_CASE("upgrade pays the order sets plan and expiry unlocks files and schedules the expire") {
  upgrade_env env;
  const std::string user = env.db.make_user();
  // Locked by an earlier expiry: 1,200 bytes over the free 1,000.
  const auto f1 = env.db.add_file(user, "old.bin", 400, 30, "locked");
  const auto f2 = env.db.add_file(user, "mid.bin", 400, 20, "locked");
  const auto f3 = env.db.add_file(user, "new.bin", 400, 10, "locked");

  const auto command = test::upgrade_command(user, "premium");
  const auto before = test::now_ms();
  const auto result = env.run(command);
  const auto after = test::now_ms();
  REQUIRE_MESSAGE(result.what == outcome::done, result.reason);

  const auto account = env.db.account_of(user);
  CHECK(account.plan == "premium");
  REQUIRE(account.expires_at);
  CHECK(*account.expires_at >= before + 3s);
  CHECK(*account.expires_at <= after + 3s + 1ms);

  const auto order = env.order(test::order_of(command));
  REQUIRE(order);
  CHECK(order->state == "paid");
  CHECK(order->amount == 500);
  CHECK(order->currency == "USD");
  CHECK(order->expires_at == account.expires_at);

  for (const auto& id : {f1, f2, f3})
    CHECK(env.db.file_states(user).at(id) == "active");

  const auto events = env.db.events_of_type("plan.upgraded");
  REQUIRE(events.size() == 1);
  CHECK(test::event_schema_problems(events[0]) == "");
  const auto& data = events[0].at("data").as_object();
  CHECK(data.at("plan").as_string() == "premium");
  CHECK(data.at("order_id").as_string() == test::order_of(command));
  CHECK(data.at("amount_cents").to_number<long long>() == 500);
  CHECK(data.at("currency").as_string() == "USD");
  CHECK(data.at("unlocked").to_number<long long>() == 3);
  CHECK(data.at("expires_at").as_string() == format_rfc3339(*account.expires_at));
  CHECK(events[0].at("subject").at("id").as_string() == user);
  CHECK(events[0].at("actor").at("user_id").as_string() == user);

  auto scheduled = env.scheduler->taken();
  REQUIRE(scheduled.size() == 1);
  CHECK(scheduled[0].command.type == commands::command_type::expire);
  CHECK(scheduled[0].due_at == *account.expires_at);
  const auto payload = commands::decode_as<commands::expire>(scheduled[0].command);
  REQUIRE(payload.has_value());
  CHECK(payload->user_id.to_string() == user);
  CHECK(payload->due_at == *account.expires_at);
  CHECK(scheduled[0].command.request_id == command.request_id);

  SUBCASE("the same command again changes nothing but schedules the expire again") {
    REQUIRE(env.run(command).what == outcome::done);
    CHECK(env.db.count("SELECT count(*) FROM orders WHERE user_id = CAST(:u AS uuid)", user) == 1);
    CHECK(env.db.events_of_type("plan.upgraded").size() == 1);
    CHECK(env.db.account_of(user).expires_at == account.expires_at);
    scheduled = env.scheduler->taken();
    REQUIRE(scheduled.size() == 2);
    CHECK(scheduled[1].command.id == scheduled[0].command.id);
    CHECK(scheduled[1].due_at == scheduled[0].due_at);
  }
  SUBCASE("another command id carrying the same order is the same upgrade") {
    REQUIRE(env.run(test::upgrade_command(user, "premium", test::order_of(command))).what ==
            outcome::done);
    CHECK(env.db.count("SELECT count(*) FROM orders WHERE user_id = CAST(:u AS uuid)", user) == 1);
    CHECK(env.db.events_of_type("plan.upgraded").size() == 1);
  }
}

TEST_CASE("a failed schedule retries and the retry schedules without paying twice") {
  upgrade_env env;
  const std::string user = env.db.make_user();
  const auto command = test::upgrade_command(user, "premium");
  env.scheduler->answer({false, "timeout: no confirm (test)"});
  const auto first = env.run(command);
  CHECK(first.what == outcome::retry);
  CHECK(first.reason.find("scheduling the expire failed") != std::string::npos);
  CHECK(env.db.account_of(user).plan == "premium");  // committed before scheduling

  env.scheduler->answer({});
  REQUIRE(env.run(command).what == outcome::done);
  CHECK(env.db.count("SELECT count(*) FROM orders WHERE user_id = CAST(:u AS uuid)", user) == 1);
  CHECK(env.scheduler->taken().size() == 2);
}

TEST_CASE("an active subscription is extended from its current end") {
  upgrade_env env;
  env.db.set_plan("premium", std::nullopt, 100);
  const std::string user = env.db.make_user();
  REQUIRE(env.run(test::upgrade_command(user, "premium")).what == outcome::done);
  const auto first_end = *env.db.account_of(user).expires_at;
  REQUIRE(env.run(test::upgrade_command(user, "premium")).what == outcome::done);
  CHECK(*env.db.account_of(user).expires_at == first_end + 100s);
  CHECK(env.db.count("SELECT count(*) FROM orders WHERE user_id = CAST(:u AS uuid) "
                     "AND state = 'paid'", user) == 2);
  // Each upgrade scheduled the expire of its own end.
  const auto scheduled = env.scheduler->taken();
  REQUIRE(scheduled.size() == 2);
  CHECK(scheduled[1].due_at == first_end + 100s);

  SUBCASE("a premium past its end starts again from now") {
    env.db.sql([&](soci::session& s) {
      s << "UPDATE users SET plan_expires_at = now() - interval '1 hour' "
           "WHERE id = CAST(:u AS uuid)",
          soci::use(user);
    });
    const auto before = test::now_ms();
    REQUIRE(env.run(test::upgrade_command(user, "premium")).what == outcome::done);
    CHECK(*env.db.account_of(user).expires_at >= before + 100s);
    CHECK(*env.db.account_of(user).expires_at <= test::now_ms() + 100s + 1ms);
  }
}

TEST_CASE("orders that cannot be paid are recorded as failed and change no plan") {
  upgrade_env env;
  const std::string user = env.db.make_user();

  const auto free = test::upgrade_command(user, "free");
  REQUIRE(env.run(free).what == outcome::done);
  auto order = env.order(test::order_of(free));
  REQUIRE(order);
  CHECK(order->state == "failed");
  CHECK(order->reason == "plan_not_purchasable");

  const auto declined = test::upgrade_command(user, "premium");
  REQUIRE(env.run(declined, std::make_shared<test::scripted_payments>(
                                ports::payment_outcome::declined("card expired")))
              .what == outcome::done);
  order = env.order(test::order_of(declined));
  REQUIRE(order);
  CHECK(order->state == "failed");
  CHECK(order->reason == "payment_declined: card expired");

  const auto events = env.db.events_of_type("order.failed");
  REQUIRE(events.size() == 2);
  CHECK(test::event_schema_problems(events[1]) == "");
  CHECK(events[1].at("subject").at("type").as_string() == "order");
  CHECK(events[1].at("data").at("reason").as_string() == "payment_declined: card expired");

  CHECK(env.db.account_of(user).plan == "free");
  CHECK(env.scheduler->taken().empty());

  SUBCASE("a provider that is down leaves nothing behind and retries") {
    const auto later = test::upgrade_command(user, "premium");
    const auto result = env.run(later, std::make_shared<test::scripted_payments>(
                                           ports::payment_outcome::unavailable("503")));
    CHECK(result.what == outcome::retry);
    CHECK_FALSE(env.order(test::order_of(later)));
    CHECK(env.db.account_of(user).plan == "free");
  }
  SUBCASE("an unknown plan or buyer is dead-lettered") {
    CHECK(env.run(test::upgrade_command(user, "gold")).what == outcome::reject);
    CHECK(env.run(test::upgrade_command(support::random_uuid().to_string(), "premium")).what ==
          outcome::reject);
  }
}

TEST_CASE("the worker's upload commit measures against the plan in force now") {
  upgrade_env env;
  env.db.set_plan("premium", std::nullopt, 3600);
  // Premium past its end but not swept: user_limits says free (quota 1,000).
  const std::string user = env.db.make_user("premium", "now() - interval '1 second'");
  env.db.add_file(user, "a.bin", 900, 10);

  auto commit = [&](const std::string& name, long long size) {
    const std::string file_id = support::random_uuid().to_string();
    const std::string upload_id = env.db.sql([&](soci::session& s) {
      std::string id;
      s << "INSERT INTO uploads (owner_id) VALUES (CAST(:o AS uuid)) RETURNING id::text",
          soci::use(user), soci::into(id);
      return id;
    });
    const uuid owner = *uuid::parse(user);
    const uuid file = *uuid::parse(file_id);
    const commands::upload upload{owner, *uuid::parse(upload_id), file, name,
                                  "application/octet-stream", static_cast<std::uint64_t>(size),
                                  std::string(64, 'b'), model::object_key_for(owner, file),
                                  std::nullopt};
    const auto command = commands::make_envelope(
        upload, {support::random_uuid().to_string(), test::now_ms(), "req-upload", {}});
    return postgres::file_command_store(env.db.pool()).commit_upload(command, upload);
  };

  const auto refused = commit("b.bin", 200);
  CHECK(refused.what == ports::upload_commit::kind::refused);
  CHECK(refused.reason == model::rejection_reason::quota_exceeded);
  CHECK(commit("c.bin", 100).what == ports::upload_commit::kind::committed);

  // Renewed: premium's 10,000 is in force again.
  REQUIRE(env.run(test::upgrade_command(user, "premium")).what == outcome::done);
  CHECK(commit("d.bin", 5000).what == ports::upload_commit::kind::committed);
  CHECK(env.db.account_of(user).used_bytes == 6000);
}
