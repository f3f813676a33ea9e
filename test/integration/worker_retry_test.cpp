// Delayed retries against the real broker, in a vhost of this test's own: the commands role's
// pieces (command_dispatcher, an amqp_consumer on kemas.commands.upload, an amqp_publisher for
// the delayed copies) run in-process with handlers scripted by the test.
//   - a command whose handler asks to retry twice and then succeeds passes through
//     kemas.delay.1s and kemas.delay.5s (seen on tap queues bound to those fanout exchanges,
//     with x-kemas-attempt 2 and 3), runs no earlier than the delays allow, and ends acked;
//   - a command that always asks to retry is dead-lettered with the handler's reason after
//     retry_attempts (3) runs;
//   - a delayed copy that the broker does not confirm leaves the original requeued: it runs
//     again at once and is not lost.

#include "adapters/amqp/connection.hpp"
#include "adapters/amqp/consumer.hpp"
#include "domain/commands/envelope_codec.hpp"
#include "adapters/amqp/command_message.hpp"
#include "adapters/amqp/publisher.hpp"
#include "adapters/support/random.hpp"
#include "test/support/amqp_fixture.hpp"
#include "test/support/eventually.hpp"
#include "test/support/relay_fixture.hpp"
#include "workers/command_dispatcher.hpp"

#include <doctest/doctest.h>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include <map>
#include <mutex>
#include <set>

using namespace kemas;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

using kemas::test::header_text;

namespace {

// Answers from a script per command id (the last answer repeats) and records when it ran.
class scripted_handler final : public worker::command_handler {
 public:
  void script(const std::string& id, std::vector<worker::handler_result> answers) {
    std::lock_guard lock(mutex_);
    scripts_[id] = std::move(answers);
  }

  worker::handler_result handle(const commands::envelope& command) override {
    std::lock_guard lock(mutex_);
    auto& runs = runs_[command.id];
    runs.push_back(clock_type::now());
    const auto& answers = scripts_.at(command.id);
    return answers[std::min(runs.size(), answers.size()) - 1];
  }

  std::vector<clock_type::time_point> runs(const std::string& id) const {
    std::lock_guard lock(mutex_);
    const auto found = runs_.find(id);
    return found == runs_.end() ? std::vector<clock_type::time_point>{} : found->second;
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::vector<worker::handler_result>> scripts_;
  std::map<std::string, std::vector<clock_type::time_point>> runs_;
};

// Declares the kemas topology in the vhost plus one classic queue per watched delay bucket,
// bound to that bucket's fanout exchange: it receives a copy of every delayed message.
void declare_with_taps(const config::amqp_settings& settings,
                       const std::vector<std::pair<std::string, std::string>>& taps) {
  amqp::topology t = amqp::kemas_topology(settings.delivery_limit);
  for (const auto& [queue, exchange] : taps) {
    t.queues.push_back({queue, {}});
    t.bindings.push_back({exchange, queue, ""});
  }
  amqp::connection conn(amqp::make_connection_options(settings, "kemas retry test setup"));
  conn.open_channel(1);
  amqp::declare_topology(conn, 1, t);
}

commands::envelope upload_command() {
  commands::envelope c;
  c.id = support::random_uuid().to_string();
  c.type = commands::command_type::upload;
  c.request_id = test::unique_id("req");
  return c;
}

// The commands role's dispatch path with the test's handler, stopped in the role's order.
struct retry_rig {
  const config::amqp_settings& settings;
  worker::handler_registry registry;
  std::shared_ptr<scripted_handler> handler = std::make_shared<scripted_handler>();
  std::set<std::string> refuse_once;  // message ids whose first delayed copy "fails"
  std::mutex refuse_mutex;
  boost::asio::thread_pool pool{2};
  std::unique_ptr<worker::command_dispatcher> dispatcher;
  std::unique_ptr<amqp::amqp_publisher> retries;
  std::unique_ptr<amqp::amqp_consumer> consumer;

  retry_rig(const config::amqp_settings& amqp, unsigned max_attempts) : settings(amqp) {
    registry.add(commands::command_type::upload, handler);
    dispatcher = std::make_unique<worker::command_dispatcher>(
        registry, [this](std::function<void()> task) { boost::asio::post(pool, std::move(task)); },
        [this](amqp::outgoing_message m, std::function<void(amqp::publish_result)> done) {
          republish(std::move(m), std::move(done));
        },
        worker::retry_policy{max_attempts, 10min, settings.delivery_limit});
    retries = std::make_unique<amqp::amqp_publisher>(
        settings, amqp::publisher_options{"kemas retry test retries", std::nullopt});
    consumer = std::make_unique<amqp::amqp_consumer>(
        settings,
        amqp::consumer_options{"kemas retry test consumer",
                               {amqp::command_queue(commands::command_type::upload)},
                               std::nullopt},
        [this](amqp::delivery d, amqp::delivery_handle h) {
          dispatcher->on_delivery(std::move(d), std::move(h));
        });
  }

  void republish(amqp::outgoing_message m, std::function<void(amqp::publish_result)> done) {
    {
      std::lock_guard lock(refuse_mutex);
      if (refuse_once.erase(m.message_id) == 1) {
        done(amqp::publish_result{amqp::publish_error::nacked, "refused by the test"});
        return;
      }
    }
    retries->async_publish(std::move(m), std::move(done));
  }

  ~retry_rig() {
    consumer->stop(5s);
    test::eventually([this] { return dispatcher->running() == 0; }, 5s);
    pool.join();
    retries->stop();
  }
};

}  // namespace

TEST_CASE("worker retries go through the delay queues and end acked or dead-lettered") {
  test::scratch_vhost vhost("retry");
  const config::amqp_settings settings = vhost.amqp_settings();
  const std::string tap_1s = "it.tap.delay.1s";
  const std::string tap_5s = "it.tap.delay.5s";
  declare_with_taps(settings, {{tap_1s, "kemas.delay.1s"}, {tap_5s, "kemas.delay.5s"}});

  const auto flaky = upload_command();        // retry, retry, done
  const auto hopeless = upload_command();     // always retry
  const auto unconfirmed = upload_command();  // retry (copy refused), done
  retry_rig rig(settings, 3);
  rig.handler->script(
      flaky.id, {worker::handler_result::retry("db down (flaky)"),
                 worker::handler_result::retry("db down (flaky)"), worker::handler_result::done()});
  rig.handler->script(hopeless.id, {worker::handler_result::retry("s3 unreachable (hopeless)")});
  rig.handler->script(unconfirmed.id, {worker::handler_result::retry("db down (unconfirmed)"),
                                       worker::handler_result::done()});
  rig.refuse_once.insert(unconfirmed.id);
  REQUIRE_MESSAGE(test::eventually([&] { return rig.consumer->connected(); }, 10s),
                  "the consumer did not connect");

  amqp::amqp_publisher publisher(settings, {"kemas retry test publisher", std::nullopt});
  for (const auto* command : {&flaky, &hopeless, &unconfirmed}) {
    const auto result = publisher.publish_sync(amqp::command_message(*command));
    REQUIRE_MESSAGE(result.ok(), result.detail);
  }

  // The three run side by side (about 7 s in all).
  {
    INFO("retried twice then done: through kemas.delay.1s and 5s with the attempt header");
    REQUIRE(test::eventually([&] { return rig.handler->runs(flaky.id).size() == 3; }, 30s));
    const auto runs = rig.handler->runs(flaky.id);
    const auto first_gap = std::chrono::duration_cast<std::chrono::milliseconds>(runs[1] - runs[0]);
    const auto second_gap =
        std::chrono::duration_cast<std::chrono::milliseconds>(runs[2] - runs[1]);
    MESSAGE("gaps between runs: ", first_gap.count(), " ms, ", second_gap.count(), " ms");
    CHECK(first_gap >= 1s);
    CHECK(first_gap < 5s);
    CHECK(second_gap >= 5s);
    CHECK(second_gap < 30s);

    const auto via_1s =
        test::take_matching(settings, tap_1s, test::message_id_in({flaky.id}), 1, 5s);
    REQUIRE(via_1s.size() == 1);
    CHECK(header_text(via_1s[0], "x-kemas-attempt") == "2");
    CHECK(header_text(via_1s[0], "x-kemas-retry-reason") == "db down (flaky)");
    CHECK(via_1s[0].body == commands::encode_envelope(flaky));
    CHECK(via_1s[0].correlation_id == flaky.request_id);
    CHECK(via_1s[0].type == "upload");
    CHECK(via_1s[0].routing_key == "upload");
    const auto via_5s =
        test::take_matching(settings, tap_5s, test::message_id_in({flaky.id}), 1, 5s);
    REQUIRE(via_5s.size() == 1);
    CHECK(header_text(via_5s[0], "x-kemas-attempt") == "3");
  }

  {
    INFO("always retrying: dead-lettered with the reason after retry_attempts runs");
    const auto dead = test::take_matching(settings, "kemas.dead-letters",
                                          test::message_id_in({hopeless.id}), 1, 30s);
    REQUIRE(dead.size() == 1);
    CHECK(header_text(dead[0], "x-kemas-reason") ==
          "gave up after 3 attempts; last error: s3 unreachable (hopeless)");
    CHECK(header_text(dead[0], "x-kemas-attempt") == "3");
    CHECK(header_text(dead[0], "x-kemas-source-queue") == "kemas.commands.upload");
    CHECK(dead[0].body == commands::encode_envelope(hopeless));
    const auto runs = rig.handler->runs(hopeless.id);
    REQUIRE(runs.size() == 3);
    CHECK(runs[2] - runs[0] >= 6s);  // 1 s + 5 s of delay
  }

  {
    INFO("a delayed copy the broker does not confirm: the original is requeued and runs again");
    REQUIRE(test::eventually([&] { return rig.handler->runs(unconfirmed.id).size() == 2; }, 10s));
    const auto runs = rig.handler->runs(unconfirmed.id);
    CHECK(runs[1] - runs[0] < 1s);  // requeued, not delayed
    CHECK(test::take_matching(settings, tap_1s, test::message_id_in({unconfirmed.id}), 1, 1s)
              .empty());
  }

  // Everything settled for good: nothing is left to deliver anywhere, and nothing ran again.
  CHECK(test::eventually([&] { return rig.consumer->in_flight() == 0; }, 5s));
  CHECK(test::queue_depth(settings, "kemas.commands.upload") == 0);
  for (const auto& bucket : amqp::delay_buckets)
    CHECK(test::queue_depth(settings, amqp::delay_exchange(bucket)) == 0);
  CHECK(rig.handler->runs(flaky.id).size() == 3);
  CHECK(rig.handler->runs(hopeless.id).size() == 3);
  CHECK(rig.handler->runs(unconfirmed.id).size() == 2);
}
