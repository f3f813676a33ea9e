// redis_client against the real Redis of scripts/services.sh (KEMAS_REDIS_HOST/PORT), plus
// two fake servers on loopback: a bound port nobody listens on, and a listener that never
// answers. Every wait is bounded; nothing sleeps.

#include "adapters/redis/client.hpp"
#include "test/support/redis_fixture.hpp"

#include <doctest/doctest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_future.hpp>

#include <chrono>
#include <future>
#include <string>
#include <vector>

namespace {

namespace asio = boost::asio;
using kemas::redis::redis_client;
using kemas::redis::redis_errc;
using kemas::redis::redis_reply;
using kemas::redis::redis_result;
using kemas::test::io_threads;
using clock_type = std::chrono::steady_clock;
using std::chrono::milliseconds;

redis_result run(io_threads& io, redis_client& client, std::vector<std::string> args,
                 milliseconds timeout = milliseconds(5'000)) {
  return io.run(client.command(std::move(args), timeout));
}

milliseconds since(clock_type::time_point start) {
  return std::chrono::duration_cast<milliseconds>(clock_type::now() - start);
}

std::string describe(const redis_result& r) {
  return r.has_value() ? r->describe() : "failure: " + r.error().message();
}

// One of the pipelined workers: a unique ECHO payload must come back to exactly this caller.
asio::awaitable<bool> echo_and_count(redis_client& client, std::string counter, int n) {
  std::string payload = "payload-" + std::to_string(n);
  payload.push_back('\0');
  payload += std::string(static_cast<std::size_t>(n % 64), static_cast<char>(n % 251));
  std::vector<std::string> echo;
  echo.emplace_back("ECHO");
  echo.push_back(payload);
  const auto echoed = co_await client.command(std::move(echo));
  std::vector<std::string> incr;
  incr.emplace_back("INCR");
  incr.push_back(std::move(counter));
  const auto counted = co_await client.command(std::move(incr));
  co_return echoed.has_value() && echoed->is_string() && echoed->str() == payload &&
      counted.has_value() && counted->is_integer();
}

asio::awaitable<bool> ping(redis_client& client) { co_return co_await client.ping(); }

}  // namespace

TEST_CASE("SET/GET round trip is binary-safe") {
  io_threads io(2);
  redis_client client(io.executor(), kemas::test::redis_settings_from_env());
  std::string key = kemas::test::unique_redis_prefix("redis") + "bin";
  key.push_back('\0');
  key += "tail";
  std::string value;
  for (int i = 0; i < 256; ++i) value.push_back(static_cast<char>(i));
  value += std::string(3, '\0') + "end";

  const auto set = run(io, client, {"SET", key, value});
  REQUIRE_MESSAGE(set.has_value(), describe(set));
  CHECK(set->is_status());
  CHECK(set->str() == "OK");

  const auto get = run(io, client, {"GET", key});
  REQUIRE_MESSAGE(get.has_value(), describe(get));
  REQUIRE(get->is_string());
  CHECK(get->str().size() == value.size());
  CHECK(get->str() == value);

  const auto len = run(io, client, {"STRLEN", key});
  REQUIRE(len.has_value());
  CHECK(len->integer() == static_cast<long long>(value.size()));
  CHECK(run(io, client, {"DEL", key})->integer() == 1);
}

TEST_CASE("integer and nil and error and array replies") {
  io_threads io(2);
  redis_client client(io.executor(), kemas::test::redis_settings_from_env());
  const auto prefix = kemas::test::unique_redis_prefix("redis");

  const auto one = run(io, client, {"INCR", prefix + "n"});
  REQUIRE_MESSAGE(one.has_value(), describe(one));
  CHECK(one->is_integer());
  CHECK(one->integer() == 1);
  CHECK(run(io, client, {"INCRBY", prefix + "n", "41"})->integer() == 42);

  const auto missing = run(io, client, {"GET", prefix + "missing"});
  REQUIRE(missing.has_value());
  CHECK(missing->is_nil());

  REQUIRE(run(io, client, {"SET", prefix + "s", "abc"}).has_value());
  const auto not_a_number = run(io, client, {"INCR", prefix + "s"});
  REQUIRE_MESSAGE(not_a_number.has_value(), "an error reply is a reply, not a failure");
  CHECK(not_a_number->is_error());
  CHECK(not_a_number->error_code() == "ERR");
  const auto wrong_type = run(io, client, {"LPUSH", prefix + "s", "x"});
  REQUIRE(wrong_type.has_value());
  CHECK(wrong_type->error_code() == "WRONGTYPE");
  const auto unknown = run(io, client, {"NO-SUCH-COMMAND"});
  REQUIRE(unknown.has_value());
  CHECK(unknown->is_error());

  CHECK(run(io, client, {"RPUSH", prefix + "l", "a", "b", "c"})->integer() == 3);
  const auto range = run(io, client, {"LRANGE", prefix + "l", "0", "-1"});
  REQUIRE(range.has_value());
  REQUIRE(range->is_array());
  CHECK(*range == redis_reply::make_array({redis_reply::make_string("a"),
                                           redis_reply::make_string("b"),
                                           redis_reply::make_string("c")}));
  const auto mget = run(io, client, {"MGET", prefix + "s", prefix + "missing"});
  REQUIRE(mget.has_value());
  REQUIRE(mget->elements().size() == 2);
  CHECK(mget->elements()[0].str() == "abc");
  CHECK(mget->elements()[1].is_nil());
  const auto empty = run(io, client, {"LRANGE", prefix + "missing", "0", "-1"});
  REQUIRE(empty.has_value());
  CHECK((empty->is_array() && empty->elements().empty()));

  const auto nothing = run(io, client, {});
  REQUIRE(nothing.has_error());
  CHECK(nothing.error() == redis_errc::invalid_command);
  const auto subscribe = run(io, client, {"subscribe", prefix + "channel"});
  REQUIRE(subscribe.has_error());
  CHECK(subscribe.error() == redis_errc::invalid_command);
  CHECK(io.run(ping(client)));  // the connection survived all the error replies

  run(io, client, {"DEL", prefix + "n", prefix + "s", prefix + "l"});
}

TEST_CASE("1000 pipelined commands from concurrent coroutines on two threads") {
  io_threads io(2);
  redis_client client(io.executor(), kemas::test::redis_settings_from_env());
  const auto counter = kemas::test::unique_redis_prefix("redis") + "counter";

  constexpr int workers = 1000;
  std::vector<std::future<bool>> results;
  results.reserve(workers);
  for (int i = 0; i < workers; ++i) {
    results.push_back(asio::co_spawn(io.context(), echo_and_count(client, counter, i),
                                     asio::use_future));
  }
  int good = 0;
  for (auto& r : results) {
    REQUIRE(r.wait_for(std::chrono::seconds(30)) == std::future_status::ready);
    good += r.get() ? 1 : 0;
  }
  CHECK(good == workers);
  const auto total = run(io, client, {"GET", counter});
  REQUIRE(total.has_value());
  CHECK(total->str() == std::to_string(workers));
  run(io, client, {"DEL", counter});
}

TEST_CASE("EVAL goes through EVALSHA and loads the script on NOSCRIPT") {
  io_threads io(2);
  redis_client client(io.executor(), kemas::test::redis_settings_from_env());
  const auto prefix = kemas::test::unique_redis_prefix("redis");
  // A comment unique to this run makes a script the server has never seen.
  const kemas::redis::redis_script script(
      "-- " + prefix + "\nreturn {KEYS[1], ARGV[1], redis.call('INCRBY', KEYS[1], ARGV[1])}");

  const auto before = run(io, client, {"SCRIPT", "EXISTS", script.sha1()});
  REQUIRE(before.has_value());
  CHECK(before->elements().at(0).integer() == 0);

  const auto first = io.run(client.eval(script, {prefix + "k"}, {"5"}));
  REQUIRE_MESSAGE(first.has_value(), describe(first));
  CHECK(*first == redis_reply::make_array({redis_reply::make_string(prefix + "k"),
                                           redis_reply::make_string("5"),
                                           redis_reply::make_integer(5)}));
  const auto after = run(io, client, {"SCRIPT", "EXISTS", script.sha1()});
  CHECK(after->elements().at(0).integer() == 1);

  const auto second = io.run(client.eval(script, {prefix + "k"}, {"5"}));
  REQUIRE(second.has_value());
  CHECK(second->elements().at(2).integer() == 10);

  const auto failing = io.run(client.eval("return redis.call('NO-SUCH-COMMAND')", {}, {}));
  REQUIRE(failing.has_value());
  CHECK(failing->is_error());
  run(io, client, {"DEL", prefix + "k"});
}

TEST_CASE("nothing listening: commands fail with connect_failed at once") {
  io_threads io(2);
  // A bound socket that does not listen: connecting to it is refused, and nobody else can
  // take the port while the test runs.
  asio::ip::tcp::acceptor holder(io.context());
  holder.open(asio::ip::tcp::v4());
  holder.bind({asio::ip::make_address("127.0.0.1"), 0});
  auto settings = kemas::test::redis_settings_from_env();
  settings.host = "127.0.0.1";
  settings.port = holder.local_endpoint().port();
  settings.timeout = milliseconds(3'000);
  redis_client client(io.executor(), settings);

  const auto start = clock_type::now();
  std::vector<std::future<redis_result>> results;
  for (int i = 0; i < 5; ++i) {
    std::vector<std::string> argv{"GET", "k" + std::to_string(i)};
    results.push_back(asio::co_spawn(io.context(), client.command(std::move(argv)),
                                     asio::use_future));
  }
  for (auto& r : results) {
    REQUIRE(r.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
    const auto result = r.get();
    REQUIRE(result.has_error());
    CHECK(result.error() == redis_errc::connect_failed);
  }
  CHECK_FALSE(io.run(ping(client)));  // and again: each command retries the connect
  CHECK_FALSE(io.run(client.ping(milliseconds(100))));
  CHECK(since(start) < milliseconds(1'000));
}

TEST_CASE("a server that never answers: the command times out") {
  io_threads io(2);
  // Listening but never accepting: the kernel completes the handshake, nobody replies.
  asio::ip::tcp::acceptor silent(io.context(), {asio::ip::make_address("127.0.0.1"), 0});
  auto settings = kemas::test::redis_settings_from_env();
  settings.host = "127.0.0.1";
  settings.port = silent.local_endpoint().port();
  settings.password.clear();
  settings.timeout = milliseconds(200);
  redis_client client(io.executor(), settings);

  for (int attempt = 0; attempt < 2; ++attempt) {  // the second one runs on a new connection
    const auto start = clock_type::now();
    const auto r = run(io, client, {"PING"}, settings.timeout);
    const auto took = since(start);
    REQUIRE(r.has_error());
    CHECK(r.error() == redis_errc::timeout);
    CHECK(took >= milliseconds(150));
    CHECK(took < milliseconds(1'500));
  }
}

TEST_CASE("a blocked command times out and fails the commands behind it and then reconnects") {
  io_threads io(2);
  redis_client client(io.executor(), kemas::test::redis_settings_from_env());
  const auto empty_list = kemas::test::unique_redis_prefix("redis") + "empty";
  REQUIRE(io.run(ping(client)));

  // Both start on one strand, in this order, so the GET is pipelined behind the BLPOP.
  auto ordered = asio::make_strand(io.context());
  const auto start = clock_type::now();
  std::vector<std::string> blpop{"BLPOP", empty_list, "3"};
  auto blocked = asio::co_spawn(ordered, client.command(std::move(blpop), milliseconds(200)),
                                asio::use_future);
  std::vector<std::string> get{"GET", empty_list};
  auto behind = asio::co_spawn(ordered, client.command(std::move(get), milliseconds(5'000)),
                               asio::use_future);
  REQUIRE(blocked.wait_for(std::chrono::seconds(5)) == std::future_status::ready);
  const auto blocked_result = blocked.get();
  const auto took = since(start);
  REQUIRE_MESSAGE(blocked_result.has_error(), describe(blocked_result));
  CHECK(blocked_result.error() == redis_errc::timeout);
  CHECK(took < milliseconds(1'500));

  REQUIRE(behind.wait_for(std::chrono::seconds(5)) == std::future_status::ready);
  const auto behind_result = behind.get();
  REQUIRE(behind_result.has_error());
  CHECK(behind_result.error() == redis_errc::connection_lost);

  CHECK(io.run(ping(client)));  // a fresh connection
}

TEST_CASE("reconnects after the server kills the connection") {
  io_threads io(2);
  const auto settings = kemas::test::redis_settings_from_env();
  redis_client client(io.executor(), settings);
  redis_client killer(io.executor(), settings);

  const auto id = run(io, client, {"CLIENT", "ID"});
  REQUIRE_MESSAGE(id.has_value(), describe(id));
  const auto killed = run(io, killer, {"CLIENT", "KILL", "ID", std::to_string(id->integer())});
  REQUIRE_MESSAGE(killed.has_value(), describe(killed));
  CHECK(killed->integer() == 1);

  // The first command may still meet the dead connection; poll until one succeeds.
  const auto deadline = clock_type::now() + std::chrono::seconds(5);
  redis_result next = run(io, client, {"CLIENT", "ID"});
  int lost = 0;
  while (!next.has_value() && clock_type::now() < deadline) {
    CHECK(next.error() == redis_errc::connection_lost);
    ++lost;
    next = run(io, client, {"CLIENT", "ID"});
  }
  REQUIRE_MESSAGE(next.has_value(), describe(next));
  CHECK(next->integer() != id->integer());
  CHECK(lost <= 1);
}

TEST_CASE("SELECT chooses the database") {
  io_threads io(2);
  const auto settings = kemas::test::redis_settings_from_env();
  const auto key = kemas::test::unique_redis_prefix("redis") + "db";
  auto db5_settings = settings;
  db5_settings.database = 5;
  redis_client db0(io.executor(), settings);
  redis_client db5(io.executor(), db5_settings);

  REQUIRE(run(io, db5, {"SET", key, "in five"}).has_value());
  CHECK(run(io, db5, {"GET", key})->str() == "in five");
  CHECK(run(io, db0, {"GET", key})->is_nil());
  CHECK(run(io, db5, {"DEL", key})->integer() == 1);
}

TEST_CASE("a refused AUTH is a connect failure") {
  io_threads io(2);
  auto settings = kemas::test::redis_settings_from_env();
  settings.password = "not-the-password";
  redis_client bad(io.executor(), settings);
  const auto r = run(io, bad, {"PING"});
  REQUIRE(r.has_error());
  CHECK(r.error() == redis_errc::connect_failed);
}

TEST_CASE("a host name is resolved without blocking") {
  io_threads io(2);
  auto settings = kemas::test::redis_settings_from_env();
  if (settings.host != "127.0.0.1") return;  // "localhost" only names the local server
  settings.host = "localhost";
  redis_client client(io.executor(), settings);
  CHECK(io.run(ping(client)));
}

TEST_CASE("close() completes waiting commands with `closed`") {
  io_threads io(2);
  auto client = std::make_unique<redis_client>(io.executor(),
                                               kemas::test::redis_settings_from_env());
  const auto empty_list = kemas::test::unique_redis_prefix("redis") + "empty";
  REQUIRE(io.run(ping(*client)));

  const auto start = clock_type::now();
  std::vector<std::string> blpop{"BLPOP", empty_list, "5"};
  auto waiting = asio::co_spawn(io.context(), client->command(std::move(blpop), milliseconds(10'000)),
                                asio::use_future);
  client->close();
  REQUIRE(waiting.wait_for(std::chrono::seconds(5)) == std::future_status::ready);
  const auto r = waiting.get();
  REQUIRE(r.has_error());
  CHECK(r.error() == redis_errc::closed);
  CHECK(since(start) < milliseconds(1'000));

  const auto later = run(io, *client, {"PING"});
  REQUIRE(later.has_error());
  CHECK(later.error() == redis_errc::closed);

  // Destroying a client with a command in flight completes it too.
  auto other = std::make_unique<redis_client>(io.executor(), kemas::test::redis_settings_from_env());
  std::vector<std::string> blpop2{"BLPOP", empty_list, "5"};
  auto orphan = asio::co_spawn(io.context(), other->command(std::move(blpop2), milliseconds(10'000)),
                               asio::use_future);
  other.reset();
  REQUIRE(orphan.wait_for(std::chrono::seconds(5)) == std::future_status::ready);
  CHECK(orphan.get().error() == redis_errc::closed);
}

namespace {

std::int64_t client_id(io_threads& loop, redis_client& client) {
  const auto id = run(loop, client, {"CLIENT", "ID"});
  REQUIRE(id.has_value());
  REQUIRE(id->is_integer());
  return id->integer();
}

}  // namespace

TEST_CASE("a client on several loops answers each caller over the connection of its own loop") {
  io_threads first(1), second(1), elsewhere(1);
  const std::vector<asio::any_io_executor> loops{first.executor(), second.executor()};
  redis_client client(loops, kemas::test::redis_settings_from_env());

  const std::int64_t on_first = client_id(first, client);
  const std::int64_t on_second = client_id(second, client);
  CHECK(on_first != on_second);  // two connections, one per loop
  for (int i = 0; i < 3; ++i) {
    CHECK(client_id(first, client) == on_first);
    CHECK(client_id(second, client) == on_second);
  }
  // A caller on no loop of the client is still served, over one of the two.
  const std::int64_t other = client_id(elsewhere, client);
  CHECK((other == on_first || other == on_second));
}
