// The real kemas-worker binary (role commands) against the broker of scripts/services.sh:
// garbage, an envelope of an unknown type and a well-formed command without a handler all end
// up in kemas.dead-letters with an x-kemas-reason saying why, nothing stays in the command
// queues, and SIGTERM ends the worker with exit code 0 within the drain timeout.

#include "domain/commands/envelope_codec.hpp"
#include "adapters/amqp/command_message.hpp"
#include "adapters/amqp/publisher.hpp"
#include "adapters/support/random.hpp"
#include "test/support/amqp_fixture.hpp"
#include "test/support/child_process.hpp"
#include "test/support/test_settings.hpp"

#include <doctest/doctest.h>
#include <boost/json.hpp>

#include <csignal>
#include <map>

using namespace kemas;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

using kemas::test::header_text;

namespace {

test::child_process start_worker(const std::string& role, const std::string& log_path) {
  test::child_process::options options;
  options.program = std::string(KEMAS_BINARY_DIR) + "/workers/kemas-worker";
  options.args = {"--role", role, "--config", std::string(KEMAS_SOURCE_DIR) + "/conf/kemas.toml"};
  options.env = test::run_env_file();
  options.env.emplace_back("KEMAS_WORKER_DRAIN_TIMEOUT", "5s");
  options.stderr_path = log_path;
  return test::child_process(std::move(options));
}

amqp::outgoing_message raw_command(std::string routing_key, std::string body) {
  amqp::outgoing_message m;
  m.exchange = "kemas.commands";
  m.routing_key = std::move(routing_key);
  m.body = std::move(body);
  m.message_id = test::unique_id("dl-test");
  m.correlation_id = test::unique_id("req");
  return m;
}

}  // namespace

TEST_CASE("kemas-worker dead-letters malformed and unhandled commands with the reason") {
  const auto settings = test::amqp_settings_from_env();
  const std::string log_path = test::child_log_path("worker_dead_letter_test.worker");
  test::child_process worker = start_worker("commands", log_path);
  REQUIRE_MESSAGE(worker.wait_for_stderr("\"msg\":\"amqp consumer connected\"", 20s),
                  worker.stderr_text());

  amqp::amqp_publisher publisher(settings, {"kemas worker test publisher", std::nullopt});

  // (1) not JSON at all
  const auto garbage = raw_command("upload", "\x01\x02 this is not JSON");
  // (2) JSON, but the type is not a command type
  commands::envelope envelope;
  envelope.id = support::random_uuid().to_string();
  envelope.type = commands::command_type::upload;
  envelope.request_id = test::unique_id("req");
  auto json = boost::json::parse(commands::encode_envelope(envelope)).as_object();
  json["type"] = "launch-rockets";
  const auto unknown_type = raw_command("upload", boost::json::serialize(json));
  // (3) a well-formed envelope whose payload its handler cannot use (no user_id)
  commands::envelope expire;
  expire.id = support::random_uuid().to_string();
  expire.type = commands::command_type::expire;
  expire.request_id = test::unique_id("req");
  const auto unhandled = amqp::command_message(expire);

  for (const auto* message : {&garbage, &unknown_type, &unhandled}) {
    const auto result = publisher.publish_sync(*message);
    REQUIRE_MESSAGE(result.ok(), result.detail);
  }

  const auto dead = test::take_matching(
      settings, "kemas.dead-letters",
      test::message_id_in({garbage.message_id, unknown_type.message_id, unhandled.message_id}), 3,
      30s);
  REQUIRE_MESSAGE(dead.size() == 3, worker.stderr_text());
  std::map<std::string, const amqp::delivery*> by_id;
  for (const auto& d : dead)
    by_id[d.message_id] = &d;

  const auto& g = *by_id.at(garbage.message_id);
  CHECK(g.body == garbage.body);
  CHECK(header_text(g, "x-kemas-reason").find("malformed command (not_json)") == 0);
  CHECK(header_text(g, "x-kemas-source-queue") == "kemas.commands.upload");
  CHECK(header_text(g, "x-kemas-dead-lettered-at") != "<absent>");

  const auto& u = *by_id.at(unknown_type.message_id);
  CHECK(header_text(u, "x-kemas-reason").find("unknown_type") != std::string::npos);
  CHECK(header_text(u, "x-kemas-reason").find("launch-rockets") != std::string::npos);

  const auto& h = *by_id.at(unhandled.message_id);
  CHECK(header_text(h, "x-kemas-reason") ==
        "rejected by the handler: expire payload: field 'user_id' is missing");
  CHECK(header_text(h, "x-kemas-source-queue") == "kemas.commands.expire");
  CHECK(h.correlation_id == expire.request_id);
  CHECK(h.type == "expire");

  // The worker logged the dead-lettering with the command's request id.
  CHECK(worker.wait_for_stderr(expire.request_id, 5s));

  // SIGTERM: drain (nothing in flight) and exit 0 well within the 5 s drain timeout.
  const auto stop_started = clock_type::now();
  worker.signal(SIGTERM);
  const auto status = worker.wait_for(10s);
  REQUIRE_MESSAGE(status.has_value(), "the worker did not exit after SIGTERM");
  CHECK(*status == 0);
  CHECK(clock_type::now() - stop_started < 6s);
  CHECK(worker.stderr_text().find("\"msg\":\"stopped\"") != std::string::npos);

  // Nothing stays behind in the command queues: with the worker gone, anything it had not
  // settled would be back in them. Counted exactly (passive declare); should another test
  // have left messages there, at least none of ours may be among them.
  for (auto type : commands::all_command_types) {
    const std::string queue = amqp::command_queue(type);
    CAPTURE(queue);
    const auto depth = test::queue_depth(settings, queue);
    if (depth != 0) {
      MESSAGE(queue, " holds ", depth, " message(s) of someone else");
      CHECK(test::take_matching(settings, queue,
                                test::message_id_in({garbage.message_id, unknown_type.message_id,
                                                     unhandled.message_id}),
                                1, 1s)
                .empty());
    }
  }
}

TEST_CASE("kemas-worker --role audit logs valid events and dead-letters malformed ones") {
  const auto settings = test::amqp_settings_from_env();
  const std::string log_path = test::child_log_path("worker_audit_test.worker");
  test::child_process worker = start_worker("audit", log_path);
  REQUIRE_MESSAGE(worker.wait_for_stderr("\"msg\":\"amqp consumer connected\"", 20s),
                  worker.stderr_text());
  amqp::amqp_publisher publisher(settings, {"kemas worker test publisher", std::nullopt});

  const std::string request_id = test::unique_id("req");
  amqp::outgoing_message event;
  event.exchange = "kemas.events";
  event.routing_key = "it.checked";
  event.message_id = support::random_uuid().to_string();
  event.body = R"({"id":")" + event.message_id + R"(","type":"it.checked","request_id":")" +
               request_id + R"("})";
  amqp::outgoing_message garbage = event;
  garbage.message_id = test::unique_id("dl-test");
  garbage.body = "{\"type\": \"it.checked\"";  // cut short
  REQUIRE(publisher.publish_sync(event).ok());
  REQUIRE(publisher.publish_sync(garbage).ok());

  CHECK(worker.wait_for_stderr(request_id, 10s));
  const auto dead = test::take_matching(settings, "kemas.dead-letters",
                                        test::message_id_in({garbage.message_id}), 1, 20s);
  REQUIRE_MESSAGE(dead.size() == 1, worker.stderr_text());
  CHECK(header_text(dead[0], "x-kemas-reason").find("malformed event") == 0);
  CHECK(header_text(dead[0], "x-kemas-source-queue") == "kemas.events.audit");

  worker.signal(SIGTERM);
  const auto status = worker.wait_for(10s);
  REQUIRE(status.has_value());
  CHECK(*status == 0);
}
