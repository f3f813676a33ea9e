// The commands role's settling decisions without a broker: ack when done, delayed retries
// through the delay buckets with a growing backoff and an attempt header, dead-lettering with
// the reason after the last attempt, the fallback when a delayed copy is not confirmed, and
// the dispatcher's metrics.

#include "workers/command_dispatcher.hpp"
#include "adapters/amqp/command_message.hpp"
#include "adapters/metrics/registry.hpp"
#include "domain/commands/envelope_codec.hpp"
#include "workers/worker_metrics.hpp"

#include "test/support/amqp_fixture.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <vector>

using namespace kemas;
using namespace std::chrono_literals;
using worker::delivery_state;
using worker::handler_result;
using worker::retry_policy;
using worker::settlement;

using kemas::test::header_text;

namespace {

struct scripted_handler final : worker::command_handler {
  handler_result next = handler_result::done();
  int calls = 0;
  std::vector<bool> first_deliveries;  // what the dispatcher said of each call's delivery
  handler_result handle(const commands::envelope&) override {
    ++calls;
    return next;
  }
  handler_result handle_delivery(const commands::envelope& command,
                                 const worker::delivery_facts& facts) override {
    first_deliveries.push_back(facts.first);
    return handle(command);
  }
};

amqp::delivery delivery_of(commands::command_type type) {
  commands::envelope e;
  e.id = "0b7e2f3a-9c4d-4e5f-8a6b-7c8d9e0f1a2b";
  e.type = type;
  e.request_id = "req-1";
  e.issued_at = std::chrono::time_point_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now() - 2s);
  auto message = amqp::command_message(e);
  return {.queue = amqp::command_queue(type),
          .exchange = std::move(message.exchange),
          .routing_key = std::move(message.routing_key),
          .body = std::move(message.body),
          .message_id = std::move(message.message_id),
          .type = std::move(message.type),
          .correlation_id = std::move(message.correlation_id),
          .content_type = std::move(message.content_type),
          .reply_to = std::nullopt,
          .headers = {}};
}

// An upload handler that answers what a test scripts, registered, and the worker's metrics.
struct dispatcher_env {
  worker::handler_registry registry;
  std::shared_ptr<scripted_handler> handler = std::make_shared<scripted_handler>();
  metrics::registry prometheus{"test"};
  worker::worker_metrics counters{prometheus};

  explicit dispatcher_env(handler_result first) {
    handler->next = std::move(first);
    registry.add(commands::command_type::upload, handler);
  }
};

}  // namespace

TEST_CASE("settle_after: ack when done / reject dead-letters / retry goes through a delay") {
  const retry_policy policy{8, 10min, 5};
  CHECK(worker::settle_after(handler_result::done(), {}, policy).what == settlement::action::ack);

  const auto rejected = worker::settle_after(handler_result::reject("quota exceeded"), {}, policy);
  CHECK(rejected.what == settlement::action::dead_letter);
  CHECK(rejected.reason == "rejected by the handler: quota exceeded");

  const auto first = worker::settle_after(handler_result::retry("db down"), {1, 0}, policy);
  CHECK(first.what == settlement::action::delay);
  REQUIRE(first.bucket);
  CHECK(first.bucket->name == "1s");
  CHECK(first.next_attempt == 2);
  CHECK(first.reason == "db down");

  // The requeue count of this copy does not matter for a delayed retry: the copy is new.
  CHECK(worker::settle_after(handler_result::retry("db down"), {3, 5}, policy).what ==
        settlement::action::delay);
}

TEST_CASE("settle_after: the backoff grows 1s 5s 30s 2m 10m then stays at the cap") {
  const retry_policy policy{8, 10min, 5};
  std::vector<std::string> delays;
  for (unsigned attempt = 1; attempt < policy.max_attempts; ++attempt) {
    const auto next = worker::settle_after(handler_result::retry("s3 down"), {attempt, 0}, policy);
    REQUIRE(next.what == settlement::action::delay);
    CHECK(next.next_attempt == attempt + 1);
    delays.emplace_back(next.bucket->name);
  }
  CHECK(delays == std::vector<std::string>{"1s", "5s", "30s", "2m", "10m", "10m", "10m"});

  const auto last = worker::settle_after(handler_result::retry("s3 down"), {8, 0}, policy);
  CHECK(last.what == settlement::action::dead_letter);
  CHECK(last.reason == "gave up after 8 attempts; last error: s3 down");

  // A header beyond the limit (an operator shovelled a dead letter back) still ends.
  CHECK(worker::settle_after(handler_result::retry("x"), {50, 0}, policy).what ==
        settlement::action::dead_letter);
  // retry_attempts = 1: never retried.
  CHECK(worker::settle_after(handler_result::retry("x"), {1, 0}, {1, 10min, 5}).what ==
        settlement::action::dead_letter);
}

TEST_CASE("retry_bucket: capped at the largest bucket not above max_delay") {
  CHECK(worker::retry_bucket(1, 10min).name == "1s");
  CHECK(worker::retry_bucket(0, 10min).name == "1s");  // treated as the first attempt
  CHECK(worker::retry_bucket(3, 10s).name == "5s");
  CHECK(worker::retry_bucket(4, 3min).name == "2m");
  CHECK(worker::retry_bucket(6, 24h).name == "1h");
  CHECK(worker::retry_bucket(100, 24h).name == "1h");
  CHECK(worker::retry_bucket(5, 1s).name == "1s");
}

TEST_CASE(
    "settle_after_failed_delay: requeue or dead-letter with the reason on the last delivery") {
  const retry_policy policy{8, 10min, 5};
  const auto planned = worker::settle_after(handler_result::retry("db down"), {2, 0}, policy);

  const auto again = worker::settle_after_failed_delay(planned, {2, 4}, policy, "nacked");
  CHECK(again.what == settlement::action::requeue);
  CHECK(again.reason == "db down");

  const auto last = worker::settle_after_failed_delay(planned, {2, 5}, policy, "timeout");
  CHECK(last.what == settlement::action::dead_letter);
  CHECK(last.reason.find("timeout") != std::string::npos);
  CHECK(last.reason.find("last error: db down") != std::string::npos);
}

TEST_CASE("attempt_of reads x-kemas-attempt and falls back to 1") {
  amqp::delivery d;
  CHECK(worker::attempt_of(d) == 1);
  d.headers.insert_or_assign("x-kemas-attempt", std::int64_t{3});
  CHECK(worker::attempt_of(d) == 3);
  d.headers.insert_or_assign("x-kemas-attempt", std::string("4"));
  CHECK(worker::attempt_of(d) == 4);
  for (const amqp::header_value& bad :
       {amqp::header_value(std::string("x")), amqp::header_value(std::string("4 ")),
        amqp::header_value(std::int64_t{0}), amqp::header_value(std::int64_t{-2}),
        amqp::header_value(std::int64_t{1} << 40)}) {
    d.headers.insert_or_assign("x-kemas-attempt", bad);
    CHECK(worker::attempt_of(d) == 1);
  }
}

TEST_CASE("facts_of: a first delivery is one never handed out or requeued or republished") {
  amqp::delivery d;
  CHECK(worker::facts_of(d).first);
  d.redelivered = true;
  CHECK_FALSE(worker::facts_of(d).first);
  d.redelivered = false;
  d.delivery_count = 1;  // a quorum queue's count of returns
  CHECK_FALSE(worker::facts_of(d).first);
  d.delivery_count = 0;
  d.headers.insert_or_assign("x-kemas-attempt", std::int64_t{2});  // a delayed retry
  CHECK_FALSE(worker::facts_of(d).first);
  d.headers.insert_or_assign("x-kemas-attempt", std::string("1"));  // unusual: not trusted
  CHECK_FALSE(worker::facts_of(d).first);
}

TEST_CASE("command_dispatcher: the handler learns whether a delivery is a first one") {
  dispatcher_env env(handler_result::done());
  std::vector<std::function<void()>> posted;
  worker::command_dispatcher dispatcher(
      env.registry, [&posted](std::function<void()> task) { posted.push_back(std::move(task)); },
      [](amqp::outgoing_message, std::function<void(amqp::publish_result)>) {},
      retry_policy{3, 10min, 5}, &env.counters);
  dispatcher.on_delivery(delivery_of(commands::command_type::upload), {});
  auto again = delivery_of(commands::command_type::upload);
  again.redelivered = true;
  dispatcher.on_delivery(std::move(again), {});
  for (auto& task : posted)
    task();
  CHECK(env.handler->first_deliveries == std::vector<bool>{true, false});
}

TEST_CASE("delayed_copy: same message to the delay exchange with the attempt header") {
  auto d = delivery_of(commands::command_type::upload);
  d.reply_to = "amq.rabbitmq.reply-to.abc";
  d.delivery_count = 2;
  d.headers = {{"x-delivery-count", std::int64_t{2}},
               {"x-first-death-reason", std::string("expired")},
               {"x-kemas-attempt", std::int64_t{2}},
               {"traceparent", std::string("00-abc-01")}};
  const auto planned =
      worker::settle_after(handler_result::retry(std::string(600, 'e')), {2, 2}, retry_policy{});
  const auto copy = worker::delayed_copy(d, commands::command_type::upload, planned);
  CHECK(copy.exchange == "kemas.delay.5s");
  CHECK(copy.routing_key == "upload");
  CHECK(copy.body == d.body);
  CHECK(copy.message_id == d.message_id);
  CHECK(copy.type == "upload");
  CHECK(copy.correlation_id == "req-1");
  CHECK(copy.reply_to == d.reply_to);
  CHECK(copy.persistent);
  CHECK(copy.mandatory);
  CHECK_FALSE(copy.expiration);
  CHECK(header_text(copy.headers, "x-kemas-attempt") == "3");
  CHECK(header_text(copy.headers, "x-kemas-retry-reason").size() == 512);
  CHECK(header_text(copy.headers, "traceparent") == "00-abc-01");
  CHECK(header_text(copy.headers, "x-delivery-count") == "<absent>");
  CHECK(header_text(copy.headers, "x-first-death-reason") == "<absent>");
}

TEST_CASE("command_dispatcher: a retry is republished and settled when the broker answered") {
  dispatcher_env env(handler_result::retry("db down"));

  std::vector<std::function<void()>> posted;
  std::vector<amqp::outgoing_message> published;
  std::vector<std::function<void(amqp::publish_result)>> confirms;
  worker::command_dispatcher dispatcher(
      env.registry, [&posted](std::function<void()> task) { posted.push_back(std::move(task)); },
      [&](amqp::outgoing_message m, std::function<void(amqp::publish_result)> done) {
        published.push_back(std::move(m));
        confirms.push_back(std::move(done));
      },
      retry_policy{3, 10min, 5}, &env.counters);

  // A default delivery_handle settles nothing: enough to watch the dispatcher's side.
  dispatcher.on_delivery(delivery_of(commands::command_type::upload), {});
  CHECK(env.handler->calls == 0);  // not on the consumer's thread
  CHECK(dispatcher.running() == 1);
  REQUIRE(posted.size() == 1);
  posted.front()();
  CHECK(env.handler->calls == 1);
  REQUIRE(published.size() == 1);
  CHECK(published[0].exchange == "kemas.delay.1s");
  CHECK(header_text(published[0].headers, "x-kemas-attempt") == "2");
  CHECK(dispatcher.running() == 1);  // waiting for the confirm
  confirms[0](amqp::publish_result{});
  CHECK(dispatcher.running() == 0);

  const std::string text = env.prometheus.render();
  CHECK(text.find(R"(kemas_commands_processed_total{outcome="retry",type="upload"} 1)") !=
        std::string::npos);
  CHECK(text.find(R"(kemas_command_handler_seconds_count{type="upload"} 1)") != std::string::npos);

  // Done on a later attempt: acked, counted, and its publish-to-commit latency observed.
  env.handler->next = handler_result::done();
  dispatcher.on_delivery(delivery_of(commands::command_type::upload), {});
  posted.back()();
  CHECK(published.size() == 1);
  CHECK(dispatcher.running() == 0);
  const std::string after = env.prometheus.render();
  CHECK(after.find(R"(kemas_commands_processed_total{outcome="done",type="upload"} 1)") !=
        std::string::npos);
  CHECK(after.find(R"(kemas_command_latency_seconds_count{type="upload"} 1)") != std::string::npos);
  // issued_at was 2 s ago: nothing in the buckets up to 1 s.
  CHECK(after.find(R"(kemas_command_latency_seconds_bucket{type="upload",le="1"} 0)") !=
        std::string::npos);
}

TEST_CASE("command_dispatcher: malformed commands and exhausted retries are counted as such") {
  dispatcher_env env(handler_result::retry("s3 down"));
  int republished = 0;
  worker::command_dispatcher dispatcher(
      env.registry, [](std::function<void()> task) { task(); },
      [&republished](amqp::outgoing_message, std::function<void(amqp::publish_result)> done) {
        ++republished;
        done(amqp::publish_result{amqp::publish_error::nacked, "test"});
      },
      retry_policy{2, 10min, 5}, &env.counters);

  amqp::delivery garbage;
  garbage.body = "\x01nope";
  dispatcher.on_delivery(garbage, {});

  auto last = delivery_of(commands::command_type::upload);
  last.headers.insert_or_assign("x-kemas-attempt", std::int64_t{2});
  dispatcher.on_delivery(last, {});
  CHECK(republished == 0);

  // A copy that is not confirmed: requeued (counted as a retry).
  dispatcher.on_delivery(delivery_of(commands::command_type::upload), {});
  CHECK(republished == 1);

  env.handler->next = handler_result::reject("name taken");
  dispatcher.on_delivery(delivery_of(commands::command_type::upload), {});
  CHECK(dispatcher.running() == 0);

  const std::string text = env.prometheus.render();
  CHECK(text.find(R"(kemas_commands_processed_total{outcome="dead_lettered",type="invalid"} 1)") !=
        std::string::npos);
  CHECK(text.find(R"(kemas_commands_processed_total{outcome="dead_lettered",type="upload"} 1)") !=
        std::string::npos);
  CHECK(text.find(R"(kemas_commands_processed_total{outcome="retry",type="upload"} 1)") !=
        std::string::npos);
  CHECK(text.find(R"(kemas_commands_processed_total{outcome="rejected",type="upload"} 1)") !=
        std::string::npos);
}

namespace {

// Takes groups of up to `limit` and scripts each member's result by its position.
struct grouping_handler final : worker::command_handler {
  std::size_t limit = 8;
  std::vector<std::size_t> group_sizes;
  std::size_t group_limit() const noexcept override { return limit; }
  handler_result handle(const commands::envelope&) override { return handler_result::done(); }
  std::vector<handler_result> handle_group(std::span<const commands::envelope> commands) override {
    group_sizes.push_back(commands.size());
    std::vector<handler_result> out;
    for (const auto& command : commands)
      out.push_back(command.request_id == "poisoned" ? handler_result::retry("bad member")
                                                     : handler_result::done());
    return out;
  }
};

}  // namespace

TEST_CASE("command_dispatcher: commands waiting together form groups and settle one by one") {
  worker::handler_registry registry;
  auto handler = std::make_shared<grouping_handler>();
  handler->limit = 4;
  registry.add(commands::command_type::upload, handler);
  metrics::registry prometheus{"test"};
  worker::worker_metrics counters{prometheus};
  std::vector<std::function<void()>> posted;
  int republished = 0;
  worker::command_dispatcher dispatcher(
      registry, [&posted](std::function<void()> task) { posted.push_back(std::move(task)); },
      [&republished](amqp::outgoing_message, std::function<void(amqp::publish_result)> done) {
        ++republished;
        done(amqp::publish_result{});
      },
      retry_policy{3, 10min, 5}, &counters);

  // Ten deliveries arrive while no handler thread is free: the first task to run takes four,
  // the next four, the next two; the remaining tasks find nothing left.
  for (int i = 0; i < 10; ++i) {
    auto message = delivery_of(commands::command_type::upload);
    if (i == 5) {
      commands::envelope e = commands::decode_envelope(message.body).value();
      e.request_id = "poisoned";
      message.body = commands::encode_envelope(e);
    }
    dispatcher.on_delivery(std::move(message), {});
  }
  CHECK(dispatcher.running() == 10);
  for (auto& task : posted)
    task();
  CHECK(handler->group_sizes == std::vector<std::size_t>{4, 4, 2});
  CHECK(dispatcher.running() == 0);
  CHECK(republished == 1);  // only the poisoned member goes through a delay queue

  const std::string text = prometheus.render();
  CHECK(text.find(R"(kemas_commands_processed_total{outcome="done",type="upload"} 9)") !=
        std::string::npos);
  CHECK(text.find(R"(kemas_commands_processed_total{outcome="retry",type="upload"} 1)") !=
        std::string::npos);
  CHECK(text.find(R"(kemas_command_group_size_count{type="upload"} 3)") != std::string::npos);
}
