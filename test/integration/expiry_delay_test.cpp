// Queue-triggered expiry end to end, with NO scheduler running: the real kemas-worker
// (role commands) against a scratch database and a RabbitMQ vhost of this test's own applies
// `upgrade` commands published by the test; each schedules its `expire` through the delay
// queues (kemas.delay.*), which hand it back to kemas.commands when due.
//   - a 3-second premium is downgraded within a few seconds of its due time by the delayed
//     expire alone, its newest file locked, while a 1-hour expire published BEFORE it waits
//     in kemas.delay.1h without holding it back;
//   - renewal before expiry: the first expire arrives, finds the plan renewed and changes
//     nothing; the renewal's own expire downgrades later.

#include "domain/commands/envelope_codec.hpp"
#include "adapters/amqp/command_message.hpp"
#include "adapters/amqp/publisher.hpp"
#include "domain/rfc3339.hpp"
#include "test/support/amqp_fixture.hpp"
#include "test/support/plan_fixture.hpp"
#include "test/support/relay_fixture.hpp"
#include "workers/handlers/scheduled_commands.hpp"

#include <doctest/doctest.h>
#include <soci/soci.h>

using namespace kemas;
using namespace std::chrono_literals;

namespace {

struct delay_env {
  test::plan_database db{"delay"};
  test::scratch_vhost vhost{"delay"};
  config::amqp_settings amqp = vhost.amqp_settings();  // the publisher keeps a reference
  test::child_process worker;
  amqp::amqp_publisher publisher;

  delay_env()
      : worker(test::start_worker("commands", db.settings().url, vhost.name(),
                                  "expiry_delay_test.worker")),
        publisher(amqp, {"expiry delay test publisher", std::nullopt}) {
    db.set_plan("free", 1000, std::nullopt);
    REQUIRE_MESSAGE(worker.wait_for_stderr("\"msg\":\"amqp consumer connected\"", 20s),
                    worker.stderr_text());
  }

  // Publishes an upgrade of `user` and waits for its paid order; returns what it bought.
  timestamp upgrade(const std::string& user) {
    const auto command = test::upgrade_command(user, "premium");
    const auto result = publisher.publish_sync(amqp::command_message(command));
    REQUIRE_MESSAGE(result.ok(), result.detail);
    const std::string order = test::order_of(command);
    REQUIRE_MESSAGE(test::eventually(
                        [&] {
                          return db.count("SELECT count(*) FROM orders WHERE state = 'paid' "
                                          "AND id = CAST(:o AS uuid)",
                                          order) == 1;
                        },
                        15s),
                    worker.stderr_text());
    return *db.sql([&](soci::session& s) {
      long long ms = 0;
      s << "SELECT ceil(extract(epoch FROM expires_at) * 1000)::bigint FROM orders "
           "WHERE id = CAST(:o AS uuid)",
          soci::use(order), soci::into(ms);
      return std::optional(timestamp(std::chrono::milliseconds(ms)));
    });
  }

  struct processed {
    std::string outcome;
    timestamp at{};
  };

  // The processed_commands row of the expire of `user` due at `due`, once it exists.
  std::optional<processed> expire_processed(const std::string& user, timestamp due,
                                            std::chrono::milliseconds timeout) {
    const std::string id = worker::make_expire_command(*uuid::parse(user), due, "x").id;
    std::optional<processed> out;
    test::eventually(
        [&] {
          out = db.sql([&](soci::session& s) -> std::optional<processed> {
            processed p;
            long long ms = 0;
            s << "SELECT outcome, (extract(epoch FROM processed_at) * 1000)::bigint "
                 "FROM processed_commands WHERE command_id = CAST(:id AS uuid)",
                soci::use(id), soci::into(p.outcome), soci::into(ms);
            if (!s.got_data())
              return std::nullopt;
            p.at = timestamp(std::chrono::milliseconds(ms));
            return p;
          });
          return out.has_value();
        },
        timeout, 50ms);
    return out;
  }
};

}  // namespace

TEST_CASE("the delayed expire alone downgrades on time and a 1-hour expire does not hold it") {
  delay_env env;
  env.db.set_plan("premium", std::nullopt, 3600);
  const std::string hour_user = env.db.make_user();
  const auto hour_due = env.upgrade(hour_user);
  // Its expire waits in a long bucket (10m: a hop no longer than the time left), ahead of
  // everything published after it.
  const auto waiting_long = [&] {
    return test::queue_depth(env.amqp, "kemas.delay.10m") +
           test::queue_depth(env.amqp, "kemas.delay.1h");
  };
  CHECK(test::eventually([&] { return waiting_long() == 1; }, 5s));

  env.db.set_plan("premium", std::nullopt, 3);
  const std::string user = env.db.make_user();
  const auto older = env.db.add_file(user, "older.bin", 600, 20);
  const auto newer = env.db.add_file(user, "newer.bin", 600, 10);
  const auto due = env.upgrade(user);

  const auto done = env.expire_processed(user, due, 20s);
  REQUIRE_MESSAGE(done.has_value(), env.worker.stderr_text());
  CHECK(done->outcome == "downgraded");
  const auto late = std::chrono::duration_cast<std::chrono::milliseconds>(done->at - due);
  MESSAGE("downgraded ", late.count(), " ms after the due time (3-second plan)");
  CHECK(late >= 0ms);
  CHECK(late < 3s);

  const auto account = env.db.account_of(user);
  CHECK(account.plan == "free");
  CHECK_FALSE(account.expires_at);
  const auto states = env.db.file_states(user);
  CHECK(states.at(older) == "active");
  CHECK(states.at(newer) == "locked");
  const auto expired = env.db.events_of_type("plan.expired");
  REQUIRE(expired.size() == 1);
  CHECK(expired[0].at("data").at("locked").to_number<long long>() == 1);

  // The hour-long subscription is untouched, its expire still waiting.
  CHECK(env.db.account_of(hour_user).plan == "premium");
  CHECK(env.db.account_of(hour_user).expires_at == hour_due);
  CHECK(waiting_long() == 1);
}

TEST_CASE("renewal before expiry: the first expire arrives and changes nothing") {
  delay_env env;
  env.db.set_plan("premium", std::nullopt, 3);
  const std::string user = env.db.make_user();
  const auto first_due = env.upgrade(user);
  const auto renewed_due = env.upgrade(user);  // extends from the first end
  CHECK(renewed_due == first_due + 3s);

  const auto first = env.expire_processed(user, first_due, 20s);
  REQUIRE_MESSAGE(first.has_value(), env.worker.stderr_text());
  CHECK(first->outcome == "renewed");
  CHECK(first->at >= first_due);
  CHECK(env.db.events_of_type("plan.expired").empty());

  const auto second = env.expire_processed(user, renewed_due, 20s);
  REQUIRE_MESSAGE(second.has_value(), env.worker.stderr_text());
  CHECK(second->outcome == "downgraded");
  CHECK(env.db.account_of(user).plan == "free");
  CHECK(env.db.events_of_type("plan.expired").size() == 1);
  CHECK(env.db.count("SELECT count(*) FROM orders WHERE user_id = CAST(:u AS uuid)", user) == 2);
}
