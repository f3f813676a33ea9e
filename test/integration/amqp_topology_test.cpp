// RabbitMQ adapters against the broker of scripts/services.sh: the topology as the management
// API sees it, the publisher's confirms (and its refusals), the consumer's settle operations,
// and a delayed command travelling through kemas.delay.1s. Test queues are named
// kemas.it.<random>, expire on their own and are deleted at the end; messages in shared queues
// are picked out by their unique message id.

#include "adapters/amqp/connection.hpp"
#include "adapters/log/logging.hpp"
#include "adapters/amqp/consumer.hpp"
#include "domain/commands/envelope_codec.hpp"
#include "adapters/amqp/command_message.hpp"
#include "adapters/amqp/publisher.hpp"
#include "domain/rfc3339.hpp"
#include "adapters/amqp/topology.hpp"
#include "adapters/support/random.hpp"
#include "test/support/amqp_fixture.hpp"
#include "test/support/eventually.hpp"
#include "test/support/management_api.hpp"

#include <doctest/doctest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

using namespace kemas;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

using kemas::test::header_text;

namespace {

// Deliveries collected from a consumer callback, for the test thread to wait on.
class inbox {
 public:
  void put(amqp::delivery d, amqp::delivery_handle h) {
    std::lock_guard lock(mutex_);
    items_.emplace_back(std::move(d), std::move(h));
    ready_.notify_all();
  }
  std::optional<std::pair<amqp::delivery, amqp::delivery_handle>> take(
      std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    if (!ready_.wait_for(lock, timeout, [this] { return !items_.empty(); }))
      return std::nullopt;
    auto item = std::move(items_.front());
    items_.pop_front();
    return item;
  }
  amqp::amqp_consumer::callback callback() {
    return [this](amqp::delivery d, amqp::delivery_handle h) { put(std::move(d), std::move(h)); };
  }

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::pair<amqp::delivery, amqp::delivery_handle>> items_;
};

// A durable test queue that deletes itself after a minute unused, and at scope exit.
class scratch_queue {
 public:
  scratch_queue(const config::amqp_settings& settings, std::vector<amqp::queue_argument> extra = {})
      : name_(test::unique_id("kemas.it")) {
    amqp::topology t;
    amqp::queue_spec spec{name_, {{"x-expires", std::int64_t{60'000}}}};
    spec.arguments.insert(spec.arguments.end(), extra.begin(), extra.end());
    t.queues.push_back(spec);
    amqp::connection conn(amqp::make_connection_options(settings, "kemas test setup"));
    conn.open_channel(1);
    amqp::declare_topology(conn, 1, t);
  }
  ~scratch_queue() {
    try {
      test::management_api::from_env().del("/api/queues/%2F/" + test::percent_encode(name_));
    } catch (const std::exception&) {
      // x-expires removes it anyway.
    }
  }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
};

amqp::outgoing_message to_queue(const std::string& queue, std::string body) {
  amqp::outgoing_message m;
  m.exchange = "";
  m.routing_key = queue;
  m.body = std::move(body);
  m.message_id = test::unique_id("msg");
  return m;
}

// A loopback port nobody listens on (bound, then closed again).
std::uint16_t closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

}  // namespace

TEST_CASE("the topology is declared idempotently and looks right to the management API") {
  const auto settings = test::amqp_settings_from_env();
  const auto topology = amqp::kemas_topology(settings.delivery_limit);
  {
    amqp::connection conn(amqp::make_connection_options(settings, "kemas topology test"));
    conn.open_channel(1);
    amqp::declare_topology(conn, 1, topology);
    amqp::declare_topology(conn, 1, topology);  // again: no 406, nothing changes
  }
  const auto api = test::management_api::from_env();

  for (const auto& spec : topology.exchanges) {
    CAPTURE(spec.name);
    const auto exchange = api.exchange(spec.name);
    REQUIRE(exchange);
    CHECK(exchange->at("type") == spec.type.c_str());
    CHECK(exchange->at("durable") == true);
    CHECK(exchange->at("auto_delete") == false);
  }

  for (const auto& spec : topology.queues) {
    CAPTURE(spec.name);
    const auto queue = api.queue(spec.name);
    REQUIRE(queue);
    CHECK(queue->at("type") == "quorum");
    CHECK(queue->at("durable") == true);
    const auto& arguments = queue->at("arguments").as_object();
    CHECK(arguments.size() == spec.arguments.size());
    for (const auto& argument : spec.arguments) {
      CAPTURE(argument.key);
      REQUIRE(arguments.contains(argument.key));
      const auto& actual = arguments.at(argument.key);
      if (const auto* number = std::get_if<std::int64_t>(&argument.value)) {
        // An integer, not a string: RabbitMQ ignores a string x-delivery-limit.
        REQUIRE(actual.is_int64());
        CHECK(actual.as_int64() == *number);
      } else {
        REQUIRE(actual.is_string());
        CHECK(actual.as_string() == std::get<std::string>(argument.value).c_str());
      }
    }
  }

  // Spot checks of what DESIGN.md requires, independent of the description above.
  const auto upload = api.queue("kemas.commands.upload")->at("arguments").as_object();
  CHECK(upload.at("x-delivery-limit").as_int64() == settings.delivery_limit);
  CHECK(upload.at("x-dead-letter-exchange") == "kemas.dead");
  CHECK(upload.at("x-dead-letter-strategy") == "at-least-once");
  CHECK(upload.at("x-overflow") == "reject-publish");
  // scripts/services.sh bounds the queues clients and the relay fill (definitions.json too).
  for (const char* bounded : {"kemas.commands.upload", "kemas.events.audit", "kemas.events.mail"}) {
    CAPTURE(bounded);
    const auto queue = api.queue(bounded);
    REQUIRE(queue);
    CHECK(queue->at("policy") == "kemas-backlog");
    const auto& policy = queue->at("effective_policy_definition").as_object();
    REQUIRE(policy.contains("max-length"));
    REQUIRE(policy.contains("max-length-bytes"));
    CHECK(policy.at("max-length").as_int64() > 0);
    CHECK(policy.at("max-length-bytes").as_int64() > 0);
  }
  const auto delay = api.queue("kemas.delay.30s")->at("arguments").as_object();
  CHECK(delay.at("x-message-ttl").as_int64() == 30'000);
  CHECK(delay.at("x-dead-letter-exchange") == "kemas.commands");
  CHECK_FALSE(delay.contains("x-dead-letter-routing-key"));

  for (const auto& spec : topology.bindings) {
    CAPTURE(spec.source);
    CAPTURE(spec.destination);
    bool found = false;
    for (const auto& b : api.bindings_to_queue(spec.destination)) {
      found = found || (b.at("source") == spec.source.c_str() &&
                        b.at("routing_key") == spec.routing_key.c_str());
    }
    CHECK(found);
  }
}

TEST_CASE("publisher confirms: a message comes back byte-exact with its properties") {
  const auto settings = test::amqp_settings_from_env();
  scratch_queue queue(settings);
  amqp::amqp_publisher publisher(settings, {"kemas test publisher", std::nullopt});

  std::string body;
  for (int i = 0; i < 300'000; ++i)
    body += static_cast<char>(i * 7 % 256);  // every byte value
  auto message = to_queue(queue.name(), body);
  message.type = "upload";
  message.correlation_id = "req-roundtrip";
  message.content_type = "application/octet-stream";
  message.headers = {{"x-text", std::string("héllo")}, {"x-number", std::int64_t{-42}}};
  const auto result = publisher.publish_sync(message);
  REQUIRE_MESSAGE(result.ok(), result.detail);

  // The coroutine form completes on the caller's executor.
  boost::asio::io_context ioc;
  auto second = to_queue(queue.name(), "second");
  auto future = boost::asio::co_spawn(ioc, publisher.publish(second), boost::asio::use_future);
  ioc.run();
  const auto second_result = future.get();
  CHECK_MESSAGE(second_result.ok(), second_result.detail);
  ioc.restart();
  auto ready = boost::asio::co_spawn(ioc, publisher.ready(), boost::asio::use_future);
  ioc.run();
  CHECK(ready.get());

  inbox received;
  amqp::amqp_consumer consumer(settings, {"kemas test consumer", {queue.name()}, std::nullopt},
                               received.callback());
  auto first = received.take(10s);
  REQUIRE(first);
  const auto& [d, handle] = *first;
  CHECK(d.body == body);  // byte-exact
  CHECK(d.queue == queue.name());
  CHECK(d.message_id == message.message_id);
  CHECK(d.type == "upload");
  CHECK(d.correlation_id == "req-roundtrip");
  CHECK(d.content_type == "application/octet-stream");
  CHECK(header_text(d, "x-text") == "héllo");
  CHECK(header_text(d, "x-number") == "-42");
  CHECK(d.delivery_count == 0);
  handle.ack();
  auto next = received.take(10s);
  REQUIRE(next);
  CHECK(next->first.body == "second");
  next->second.ack();
  CHECK(consumer.stop(5s) == 0);
}

TEST_CASE("the publisher reports unroutable and refused messages and keeps working") {
  const auto settings = test::amqp_settings_from_env();
  scratch_queue queue(settings);
  amqp::amqp_publisher publisher(settings, {"kemas test publisher", std::nullopt});

  amqp::outgoing_message unroutable;
  unroutable.exchange = "kemas.commands";
  unroutable.routing_key = test::unique_id("no-such-command");
  unroutable.message_id = test::unique_id("msg");
  unroutable.body = "{}";
  auto result = publisher.publish_sync(unroutable);
  CHECK(result.error == amqp::publish_error::returned);
  CHECK(result.detail.find("NO_ROUTE") != std::string::npos);

  amqp::outgoing_message missing_exchange = unroutable;
  missing_exchange.exchange = test::unique_id("kemas.no-such-exchange");
  result = publisher.publish_sync(missing_exchange);
  CHECK(result.error == amqp::publish_error::connection_lost);
  CHECK(result.detail.find("404") != std::string::npos);

  // The channel was reopened: publishing works again.
  result = publisher.publish_sync(to_queue(queue.name(), "after the error"));
  CHECK_MESSAGE(result.ok(), result.detail);
}

TEST_CASE("after a nack the publisher replaces its channel and loses nothing in flight") {
  const auto settings = test::amqp_settings_from_env();
  // A queue that holds one message and refuses more: every further publish is nacked. (A
  // classic queue: a quorum queue applies reject-publish only approximately.)
  scratch_queue full(settings, {{"x-max-length", std::int64_t{1}},
                                {"x-overflow", std::string("reject-publish")}});
  scratch_queue open_queue(settings);
  amqp::amqp_publisher publisher(settings, {"kemas test publisher", std::nullopt});
  REQUIRE(publisher.publish_sync(to_queue(full.name(), "the one it holds")).ok());
  CHECK(publisher.channels_replaced() == 0);

  // Publishes to both queues in flight together, in batches; each batch's nacks must bring
  // a channel swap before the next batch goes, so the run crosses several refresh intervals.
  constexpr int count = 60;
  constexpr int batch = 10;
  std::mutex mutex;
  std::condition_variable settled;
  std::vector<amqp::publish_result> to_full, to_open;
  const auto started = clock_type::now();
  auto swaps_before = publisher.channels_replaced();
  for (int i = 0; i < count; ++i) {
    const bool refused = i % 2 == 0;
    publisher.async_publish(to_queue(refused ? full.name() : open_queue.name(), "m"),
                            [&, refused](amqp::publish_result r) {
                              std::lock_guard lock(mutex);
                              (refused ? to_full : to_open).push_back(std::move(r));
                              settled.notify_all();
                            });
    if (i % batch != batch - 1)
      continue;
    std::unique_lock lock(mutex);
    REQUIRE(settled.wait_for(lock, 20s, [&] { return to_full.size() + to_open.size() == i + 1u; }));
    lock.unlock();
    REQUIRE(test::eventually([&] { return publisher.channels_replaced() > swaps_before; }, 5s));
    swaps_before = publisher.channels_replaced();
  }
  const auto took = clock_type::now() - started;
  for (const auto& r : to_full)
    CHECK_MESSAGE(r.error == amqp::publish_error::nacked, r.detail);
  for (const auto& r : to_open)
    CHECK_MESSAGE(r.ok(), r.detail);  // none failed because its channel was replaced
  CHECK(publisher.channels_replaced() >= count / batch);
  // Bounded: at most one swap per refresh interval (500 ms) over the whole run.
  CHECK(publisher.channels_replaced() <= 1 + static_cast<std::uint64_t>(took / 500ms));
  CHECK(publisher.publish_sync(to_queue(open_queue.name(), "after")).ok());
}

TEST_CASE("a publisher without a broker says so quickly") {
  auto settings = test::amqp_settings_from_env();
  settings.port = closed_port();
  amqp::amqp_publisher publisher(settings, {"kemas test publisher (no broker)", std::nullopt});
  const auto started = clock_type::now();
  boost::asio::io_context ioc;
  auto ready = boost::asio::co_spawn(ioc, publisher.ready(), boost::asio::use_future);
  ioc.run();
  CHECK_FALSE(ready.get());
  const auto result = publisher.publish_sync(to_queue("anything", "x"));
  CHECK(result.error == amqp::publish_error::not_connected);
  CHECK(clock_type::now() - started < 1s);
}

TEST_CASE("a connection moves on to the next cluster node when the first cannot be reached") {
  // amqp.more_brokers: a client of a dead node reconnects to a live one.
  auto settings = test::amqp_settings_from_env();
  const std::string live = settings.host + ":" + std::to_string(settings.port);
  settings.more_brokers = {live};
  settings.port = closed_port();
  const amqp::connection conn(amqp::make_connection_options(settings, "kemas test failover"));
  CHECK(conn.endpoint() == live);

  // Nothing reachable: the failure names every node tried.
  settings.more_brokers = {settings.host + ":" + std::to_string(closed_port())};
  try {
    amqp::connection none(amqp::make_connection_options(settings, "kemas test no node"));
    FAIL("connected without a reachable node");
  } catch (const amqp::amqp_failure& e) {
    CHECK(std::string(e.what()).find("; amqp connect") != std::string::npos);
  }

  // A refused login is not tried elsewhere: every node would refuse it.
  auto wrong = test::amqp_settings_from_env();
  wrong.password = "not-the-password";
  wrong.more_brokers = {live};
  try {
    amqp::connection refused(amqp::make_connection_options(wrong, "kemas test bad login"));
    FAIL("logged in with a wrong password");
  } catch (const amqp::amqp_failure& e) {
    CHECK(std::string(e.what()).starts_with("amqp login"));
  }
}

TEST_CASE("consumer: requeue redelivers / the delivery limit ends it / dead_letter keeps a reason") {
  const auto settings = test::amqp_settings_from_env();
  // A quorum queue like the command queues, with a delivery limit of 2.
  scratch_queue queue(settings, {{"x-queue-type", std::string("quorum")},
                                 {"x-delivery-limit", std::int64_t{2}},
                                 {"x-dead-letter-exchange", std::string("kemas.dead")},
                                 {"x-dead-letter-strategy", std::string("at-least-once")},
                                 {"x-overflow", std::string("reject-publish")}});
  amqp::amqp_publisher publisher(settings, {"kemas test publisher", std::nullopt});
  inbox received;
  amqp::amqp_consumer consumer(settings, {"kemas test consumer", {queue.name()}, std::nullopt},
                               received.callback());

  SUBCASE("requeued until the broker dead-letters it") {
    const auto message = to_queue(queue.name(), "poison");
    REQUIRE(publisher.publish_sync(message).ok());
    std::vector<std::int64_t> counts;
    while (auto item = received.take(3s)) {
      counts.push_back(item->first.delivery_count);
      item->second.requeue();
    }
    MESSAGE("delivery counts seen with x-delivery-limit=2: ", counts.size());
    // x-delivery-count 0, 1, 2: the delivery with count == limit is the last one (this is
    // what worker::settle_after relies on).
    CHECK(counts == std::vector<std::int64_t>{0, 1, 2});
    const auto dead = test::take_matching(settings, "kemas.dead-letters",
                                          test::message_id_in({message.message_id}), 1, 10s);
    REQUIRE(dead.size() == 1);
    CHECK(dead[0].body == "poison");
  }

  SUBCASE("dead_letter republishes with the reason, then acks the original") {
    auto message = to_queue(queue.name(), std::string("bad\0body", 8));
    message.headers = {{"x-app", std::string("kept")}};
    REQUIRE(publisher.publish_sync(message).ok());
    auto item = received.take(10s);
    REQUIRE(item);
    const auto before = clock_type::now();
    item->second.dead_letter("test says no");
    CHECK(item->second.settled());
    item->second.ack();  // ignored: settled once

    const auto dead = test::take_matching(settings, "kemas.dead-letters",
                                          test::message_id_in({message.message_id}), 1, 10s);
    REQUIRE(dead.size() == 1);
    CHECK(dead[0].body == message.body);
    CHECK(header_text(dead[0], "x-kemas-reason") == "test says no");
    CHECK(header_text(dead[0], "x-kemas-source-queue") == queue.name());
    CHECK(header_text(dead[0], "x-app") == "kept");
    CHECK(kemas::parse_rfc3339(header_text(dead[0], "x-kemas-dead-lettered-at")));
    // The original was acked: nothing comes back.
    CHECK_FALSE(received.take(1500ms));
    CHECK(clock_type::now() - before < 10s);
  }
  CHECK(consumer.stop(5s) == 0);
}

TEST_CASE("consumer stop drains in-flight deliveries until the deadline") {
  const auto settings = test::amqp_settings_from_env();
  scratch_queue queue(settings);
  amqp::amqp_publisher publisher(settings, {"kemas test publisher", std::nullopt});
  const auto first = to_queue(queue.name(), "finishes in time");
  const auto second = to_queue(queue.name(), "never finishes");
  REQUIRE(publisher.publish_sync(first).ok());
  REQUIRE(publisher.publish_sync(second).ok());

  inbox received;
  auto consumer = std::make_unique<amqp::amqp_consumer>(
      settings, amqp::consumer_options{"kemas test consumer", {queue.name()}, std::nullopt},
      received.callback());
  auto a = received.take(10s);
  auto b = received.take(10s);
  REQUIRE(a);
  REQUIRE(b);
  CHECK(consumer->in_flight() == 2);

  // One handler acks once the drain has begun (the consumer says so in its log); the other
  // never settles.
  auto log_lines = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(64);
  kemas::config::log_settings log_settings;
  log::init_logging(log_settings, "kemas-test", log_lines, log::delivery::direct);
  const auto draining = [&log_lines] {
    for (const auto& line : log_lines->last_formatted())
      if (line.find("cancelled its consumers; draining") != std::string::npos)
        return true;
    return false;
  };
  std::thread late_ack([&draining, handle = a->second] {
    if (test::eventually(draining, 5s))
      handle.ack();
  });
  const auto started = clock_type::now();
  const std::size_t left = consumer->stop(1500ms);
  const auto took = clock_type::now() - started;
  late_ack.join();
  log_settings.format = "text";
  log::init_logging(log_settings, "kemas-test", nullptr, log::delivery::direct);
  CHECK(draining());
  CHECK(left == 1);
  CHECK(took >= 1400ms);
  CHECK(took < 4s);
  b->second.ack();  // after stop: a no-op, the broker requeued it when the connection closed
  consumer.reset();

  // The unsettled one is delivered again (redelivered), the acked one is gone.
  inbox again;
  amqp::amqp_consumer second_consumer(
      settings, {"kemas test consumer", {queue.name()}, std::nullopt}, again.callback());
  auto redelivered = again.take(10s);
  REQUIRE(redelivered);
  CHECK(redelivered->first.message_id == second.message_id);
  CHECK(redelivered->first.redelivered);
  redelivered->second.ack();
  CHECK_FALSE(again.take(1s));
  CHECK(second_consumer.stop(5s) == 0);
}

TEST_CASE("a command published to kemas.delay.1s arrives in its queue at least 1 s later") {
  const auto settings = test::amqp_settings_from_env();
  amqp::amqp_publisher publisher(
      settings, {"kemas test publisher", amqp::kemas_topology(settings.delivery_limit)});
  commands::envelope command;
  command.id = support::random_uuid().to_string();
  command.type = commands::command_type::expire;
  command.request_id = test::unique_id("req");
  auto message = amqp::command_message(command);
  message.exchange = amqp::delay_exchange(*amqp::pick_delay_bucket(1s));
  CHECK(message.exchange == "kemas.delay.1s");

  const auto started = clock_type::now();
  const auto result = publisher.publish_sync(message);
  REQUIRE_MESSAGE(result.ok(), result.detail);
  const auto arrived = test::take_matching(settings, "kemas.commands.expire",
                                           test::message_id_in({command.id}), 1, 15s);
  const auto took = clock_type::now() - started;
  REQUIRE(arrived.size() == 1);
  CHECK(took >= 1s);
  CHECK(arrived[0].routing_key == "expire");
  CHECK(arrived[0].type == "expire");
  CHECK(commands::decode_envelope(arrived[0].body).value() == command);
}

TEST_CASE("publisher and consumer reconnect when the broker closes their connections") {
  const auto settings = test::amqp_settings_from_env();
  const auto api = test::management_api::from_env();
  scratch_queue queue(settings);
  const std::string publisher_name = test::unique_id("kemas test reconnect publisher");
  const std::string consumer_name = test::unique_id("kemas test reconnect consumer");
  amqp::amqp_publisher publisher(settings, {publisher_name, std::nullopt});
  inbox received;
  amqp::amqp_consumer consumer(settings, {consumer_name, {queue.name()}, std::nullopt},
                               received.callback());

  auto before = to_queue(queue.name(), "before");
  REQUIRE(publisher.publish_sync(before).ok());
  auto first = received.take(10s);
  REQUIRE(first);
  first->second.ack();

  // Close both connections from the broker's side (management API: DELETE connection).
  // Connections show up in the API's statistics after a few seconds.
  std::vector<std::string> closed;
  kemas::test::eventually([&] {
    const auto connections = api.get_json("/api/connections");
    for (const auto& c : connections.as_array()) {
      const auto* properties = c.as_object().if_contains("client_properties");
      if (properties == nullptr || !properties->is_object())
        continue;
      const auto* name = properties->as_object().if_contains("connection_name");
      if (name == nullptr || !name->is_string())
        continue;
      if (*name != publisher_name.c_str() && *name != consumer_name.c_str())
        continue;
      const auto status =
          api.del("/api/connections/" + test::percent_encode(c.at("name").as_string())).status;
      CHECK(status == 204);
      closed.emplace_back(name->as_string());
    }
    return closed.size() >= 2;
  }, 20s, 500ms);
  REQUIRE(closed.size() == 2);

  // Publishing works again once the publisher reconnected (until then it answers with an
  // error, never with a false success); the consumer receives after reconnecting too.
  auto after = to_queue(queue.name(), "after");
  amqp::publish_result result;
  kemas::test::eventually(
      [&] {
        result = publisher.publish_sync(after);
        return result.ok();
      },
      15s, 100ms);
  REQUIRE_MESSAGE(result.ok(), result.detail);
  auto second = received.take(15s);
  REQUIRE(second);
  CHECK(second->first.message_id == after.message_id);
  second->second.ack();
  CHECK(consumer.stop(5s) == 0);
}
