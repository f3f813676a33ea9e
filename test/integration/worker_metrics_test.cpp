// kemas-worker's Prometheus endpoint: the real binary with worker.metrics_port set serves
// GET /metrics; the commands role's counters move when it processes commands (a delete of a
// file that does not exist: done; garbage: dead_lettered), with the handler time and the
// publish-to-commit latency observed. Every role serves it, and a port already taken stops
// start-up with a message naming it.

#include "domain/commands/envelope_codec.hpp"
#include "adapters/amqp/command_message.hpp"
#include "adapters/amqp/publisher.hpp"
#include "adapters/support/random.hpp"
#include "test/support/amqp_fixture.hpp"
#include "test/support/eventually.hpp"
#include "test/support/http_client.hpp"
#include "test/support/outbox_fixture.hpp"
#include "test/support/relay_fixture.hpp"
#include "adapters/postgres/pool.hpp"
#include <soci/soci.h>

#include <doctest/doctest.h>
#include <boost/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>

using namespace kemas;
using namespace std::chrono_literals;

namespace {

std::vector<std::pair<std::string, std::string>> metrics_env(std::uint16_t port) {
  return {{"KEMAS_WORKER_METRICS_HOST", "127.0.0.1"},
          {"KEMAS_WORKER_METRICS_PORT", std::to_string(port)}};
}

std::string scrape(std::uint16_t port) {
  const auto response = test::http_request(port, "GET", "/metrics");
  REQUIRE(response.status == 200);
  CHECK(response.header("content-type").value_or("").starts_with("text/plain"));
  return response.body;
}

// The value of one sample line ("name{labels} value"), or -1 when the line is absent.
double sample(const std::string& text, const std::string& series) {
  const std::string prefix = series + " ";
  std::size_t at = 0;
  while ((at = text.find(prefix, at)) != std::string::npos) {
    if (at == 0 || text[at - 1] == '\n')
      return std::stod(text.substr(at + prefix.size()));
    at += prefix.size();
  }
  return -1;
}

}  // namespace

TEST_CASE("kemas-worker --role commands serves /metrics and counts its commands") {
  test::migrated_database db("worker_metrics");
  test::scratch_vhost vhost("metrics");
  const config::amqp_settings amqp = vhost.amqp_settings();
  const std::uint16_t port = test::free_loopback_port();
  test::child_process worker = test::start_worker("commands", db.settings().url, vhost.name(),
                                                  "worker_metrics_test.worker", metrics_env(port));
  REQUIRE_MESSAGE(worker.wait_for_stderr("\"msg\":\"amqp consumer connected\"", 20s),
                  worker.stderr_text());
  CHECK(worker.stderr_text().find("\"msg\":\"serving metrics\"") != std::string::npos);

  const std::string done_delete = R"(kemas_commands_processed_total{outcome="done",type="delete"})";
  const std::string dead_invalid =
      R"(kemas_commands_processed_total{outcome="dead_lettered",type="invalid"})";
  const std::string before = scrape(port);
  CHECK(before.find(R"(kemas_process_info{process="kemas-worker-commands",version=")") !=
        std::string::npos);
  CHECK(before.find("\n# TYPE process_cpu_seconds_total counter\n") != std::string::npos);
  CHECK(sample(before, done_delete) == 0);
  CHECK(sample(before, dead_invalid) == 0);
  CHECK(sample(before, R"(kemas_commands_processed_total{outcome="retry",type="upload"})") == 0);

  // A delete of a file nobody has: the handler commits "nothing to do" and the command is done.
  commands::envelope command;
  command.id = support::random_uuid().to_string();
  command.type = commands::command_type::delete_file;
  command.issued_at =
      std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  command.request_id = test::unique_id("req");
  command.actor.user_id = support::random_uuid().to_string();
  command.payload = {{"file_id", support::random_uuid().to_string()}};
  amqp::outgoing_message garbage = amqp::command_message(command);
  garbage.message_id = test::unique_id("garbage");
  garbage.body = "not a command";

  amqp::amqp_publisher publisher(amqp, {"worker metrics test publisher", std::nullopt});
  REQUIRE(publisher.publish_sync(amqp::command_message(command)).ok());
  REQUIRE(publisher.publish_sync(garbage).ok());

  std::string after;
  const bool moved = test::eventually(
      [&] {
        after = scrape(port);
        return sample(after, done_delete) == 1 && sample(after, dead_invalid) == 1;
      },
      15s, 100ms);  // poll interval: one scrape each
  REQUIRE_MESSAGE(moved, after, "\n", worker.stderr_text());
  CHECK(sample(after, R"(kemas_command_handler_seconds_count{type="delete"})") == 1);
  CHECK(sample(after, R"(kemas_command_latency_seconds_count{type="delete"})") == 1);
  const double latency = sample(after, R"(kemas_command_latency_seconds_sum{type="delete"})");
  CHECK(latency >= 0);
  CHECK(latency < 15);
  CHECK(sample(after, R"(kemas_commands_processed_total{outcome="rejected",type="delete"})") == 0);
  CHECK(test::http_request(port, "GET", "/other").status == 404);

  worker.signal(SIGTERM);
  const auto status = worker.wait_for(10s);
  REQUIRE(status.has_value());
  CHECK(*status == 0);
}

TEST_CASE("the scheduler exports the outbox backlog and the process families") {
  test::migrated_database db("worker_metrics_outbox");
  {
    // Three events the relay has not published (no commands worker runs here), the oldest
    // written a minute ago, and one published long ago that must not count.
    postgres::pg_pool pool(db.settings(), "worker_metrics_test");
    pool.with_session([](soci::session& sql) {
      sql << "INSERT INTO outbox (event, created_at) VALUES ('{}', now() - interval '60 seconds'),"
             " ('{}', now() - interval '5 seconds'), ('{}', now())";
      sql << "INSERT INTO outbox (event, created_at, published_at) VALUES "
             "('{}', now() - interval '1 day', now() - interval '1 day')";
    });
    pool.stop();
  }
  test::scratch_vhost vhost("metrics-outbox");
  const std::uint16_t port = test::free_loopback_port();
  test::child_process scheduler =
      test::start_worker("scheduler", db.settings().url, vhost.name(),
                         "worker_metrics_test.outbox", metrics_env(port));
  REQUIRE_MESSAGE(scheduler.wait_for_stderr("\"msg\":\"serving metrics\"", 10s),
                  scheduler.stderr_text());
  std::string text;
  const bool sampled = test::eventually(
      [&] {
        text = scrape(port);
        return sample(text, "kemas_outbox_unpublished") == 3;
      },
      10s, 200ms);
  REQUIRE_MESSAGE(sampled, text, "\n", scheduler.stderr_text());
  const double oldest = sample(text, "kemas_outbox_oldest_age_seconds");
  CHECK(oldest >= 60);
  CHECK(oldest < 120);
  CHECK(sample(text, "process_resident_memory_bytes") > 1e6);
  CHECK(sample(text, "process_open_fds") > 3);
  CHECK(sample(text, "process_start_time_seconds") > 1.7e9);
  scheduler.signal(SIGTERM);
  CHECK(scheduler.wait_for(10s).has_value());
}

TEST_CASE("every kemas-worker role serves /metrics and a taken port stops start-up") {
  test::scratch_vhost vhost("metrics-roles");
  const std::uint16_t port = test::free_loopback_port();
  test::child_process scheduler =
      test::start_worker("scheduler", "postgresql://kemas@127.0.0.1:1/unused", vhost.name(),
                         "worker_metrics_test.scheduler", metrics_env(port));
  REQUIRE_MESSAGE(scheduler.wait_for_stderr("\"msg\":\"serving metrics\"", 10s),
                  scheduler.stderr_text());
  CHECK(scrape(port).find(R"(kemas_process_info{process="kemas-worker-scheduler",version=")") !=
        std::string::npos);

  // A second worker asking for the same port: exit 1, saying which address.
  test::child_process second =
      test::start_worker("audit", "postgresql://kemas@127.0.0.1:1/unused", vhost.name(),
                         "worker_metrics_test.audit", metrics_env(port));
  const auto second_status = second.wait_for(10s);
  REQUIRE(second_status.has_value());
  CHECK(*second_status == 1);
  CHECK(second.stderr_text().find("cannot serve metrics on 127.0.0.1:" + std::to_string(port)) !=
        std::string::npos);

  scheduler.signal(SIGTERM);
  const auto status = scheduler.wait_for(10s);
  REQUIRE(status.has_value());
  CHECK(*status == 0);
}
