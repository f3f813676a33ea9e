// Issue 14's dead letters as a tool: `kemas-admin dlq list|show|replay|purge`, the real binary
// against a RabbitMQ vhost of this test's own. Listing keeps the letters; replay re-validates
// (a command's envelope and payload, an event's id and type), publishes a copy with the same
// id and removes the letter only then, and leaves a letter that fails the check in the queue;
// purge wants --yes.

#include "adapters/amqp/command_message.hpp"
#include "adapters/amqp/publisher.hpp"
#include "adapters/amqp/topology.hpp"
#include "adapters/support/random.hpp"
#include "domain/commands/delete_file.hpp"
#include "domain/rfc3339.hpp"
#include "test/support/amqp_fixture.hpp"
#include "test/support/admin_cli.hpp"
#include "test/support/eventually.hpp"
#include "test/support/relay_fixture.hpp"
#include "workers/queue_probe.hpp"

#include <doctest/doctest.h>

using namespace kemas;
using namespace std::chrono_literals;

namespace {

struct dlq_env {
  test::scratch_vhost vhost{"dlq"};
  config::amqp_settings amqp = vhost.amqp_settings();
  amqp::amqp_publisher publisher{
      amqp, {"dlq test publisher", amqp::kemas_topology(amqp.delivery_limit)}};

  // A letter as the consumer dead-letters one: the original message, the kemas headers.
  void dead_letter(amqp::outgoing_message m, const std::string& source, const std::string& why) {
    m.exchange = std::string(amqp::names::dead_exchange);
    m.headers[std::string(amqp::names::reason_header)] = why;
    m.headers[std::string(amqp::names::source_queue_header)] = source;
    // Dead-lettered 90 s ago: what the scheduler's age gauge should see.
    m.headers[std::string(amqp::names::dead_lettered_at_header)] = format_rfc3339(
        std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now() -
                                                                std::chrono::seconds(90)));
    const auto published = publisher.publish_sync(std::move(m));
    REQUIRE_MESSAGE(published.ok(), published.detail);
  }

  std::uint32_t depth(std::string_view queue) { return test::queue_depth(amqp, std::string(queue)); }

  // kemas-admin dlq `args`, against this vhost; stdout and stderr together.
  test::admin_run admin(std::vector<std::string> args) {
    args.insert(args.begin(), "dlq");
    auto run = test::run_admin(std::move(args), {{"KEMAS_AMQP_VHOST", vhost.name()}});
    run.out += run.err;
    return run;
  }
};

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("dead letters are listed kept replayed after a check and purged on demand") {
  dlq_env env;
  const uuid owner = support::random_uuid();
  const auto command = commands::make_envelope(
      commands::delete_file{owner, support::random_uuid()},
      {support::random_uuid().to_string(),
       std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now()),
       "req-dlq", {owner.to_string(), "127.0.0.1"}});
  env.dead_letter(amqp::command_message(command), "kemas.commands.delete",
                  "delete: commit: database down\nfor too long");

  amqp::outgoing_message garbage;
  garbage.routing_key = "delete";
  garbage.type = "delete";
  garbage.message_id = "garbage-1";
  garbage.body = "{not json";
  env.dead_letter(garbage, "kemas.commands.delete", "malformed envelope");

  const std::string event_id = support::random_uuid().to_string();
  amqp::outgoing_message event;
  event.routing_key = "auth.login";
  event.type = "auth.login";
  event.message_id = event_id;
  event.body = R"({"id":")" + event_id + R"(","type":"auth.login","version":1})";
  env.dead_letter(event, "kemas.events.audit", "audit store failed");
  REQUIRE(test::eventually([&] { return env.depth(amqp::names::dead_letter_queue) == 3; }, 10s));

  const auto listed = env.admin({"list"});
  INFO(listed.out);
  CHECK(listed.status == 0);
  CHECK(contains(listed.out, command.id + "  kemas.commands.delete  delete: commit: database down for too long"));
  CHECK(contains(listed.out, "garbage-1"));
  CHECK(contains(listed.out, event_id + "  kemas.events.audit"));
  CHECK(contains(listed.out, "3 letter(s) shown"));
  CHECK(env.depth(amqp::names::dead_letter_queue) == 3);  // listing keeps them

  // The scheduler's probe: the oldest letter's age, the letter put back.
  worker::queue_probe probe(env.amqp, worker::kemas_queue_names());
  const auto age = probe.oldest_dead_letter_age();
  REQUIRE(age.has_value());
  CHECK(*age >= 90);
  CHECK(*age < 300);
  CHECK(env.depth(amqp::names::dead_letter_queue) == 3);

  const auto shown = env.admin({"show", command.id});
  INFO(shown.out);
  CHECK(shown.status == 0);
  CHECK(contains(shown.out, "\"type\":\"delete\""));
  CHECK(contains(shown.out, "x-kemas-source-queue: kemas.commands.delete"));
  CHECK(env.admin({"show", "no-such-id"}).status == 3);

  const std::uint32_t deletes_before = env.depth("kemas.commands.delete");
  const std::uint32_t audit_before = env.depth(amqp::names::audit_queue);
  const auto replayed = env.admin({"replay", "--all"});
  INFO(replayed.out);
  CHECK(replayed.status == 3);  // one letter refused
  CHECK(contains(replayed.out, "replayed " + command.id));
  CHECK(contains(replayed.out, "replayed " + event_id));
  CHECK(contains(replayed.out, "refused garbage-1: not a command envelope"));
  CHECK(contains(replayed.out, "2 replayed, 1 refused"));
  CHECK(test::eventually(
      [&] { return env.depth("kemas.commands.delete") == deletes_before + 1; }, 10s));
  CHECK(env.depth(amqp::names::audit_queue) == audit_before + 1);
  const auto copies = test::take_matching(env.amqp, "kemas.commands.delete",
                                          test::message_id_in({command.id}), 1, 10s);
  REQUIRE(copies.size() == 1);  // the same id: the worker's idempotency still holds
  CHECK(env.depth(amqp::names::dead_letter_queue) == 1);  // the refused one stays

  const auto unconfirmed = env.admin({"purge"});
  CHECK(unconfirmed.status == 2);
  CHECK(env.depth(amqp::names::dead_letter_queue) == 1);
  const auto purged = env.admin({"purge", "--yes"});
  INFO(purged.out);
  CHECK(purged.status == 0);
  CHECK(contains(purged.out, "purged 1 dead letter(s)"));
  CHECK(env.depth(amqp::names::dead_letter_queue) == 0);
}
