// The RabbitMQ topology: conf/rabbitmq/definitions.json must describe exactly what the code
// declares (kemas_topology), with the argument TYPES RabbitMQ needs (integers stay integers),
// and the delay-bucket choice must never deliver early.

#include "adapters/amqp/topology.hpp"
#include "adapters/config/settings.hpp"

#include <doctest/doctest.h>
#include <boost/json.hpp>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <tuple>

using namespace kemas;
using namespace std::chrono_literals;

namespace {

boost::json::object load_definitions() {
  std::ifstream in(std::string(KEMAS_SOURCE_DIR) + "/conf/rabbitmq/definitions.json");
  REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  return boost::json::parse(text.str()).as_object();
}

boost::json::object arguments_json(const amqp::queue_spec& queue) {
  boost::json::object args;
  for (const auto& a : queue.arguments) {
    if (const auto* i = std::get_if<std::int64_t>(&a.value))
      args[a.key] = *i;
    else
      args[a.key] = std::get<std::string>(a.value);
  }
  return args;
}

}  // namespace

TEST_CASE("definitions.json mirrors the declared topology") {
  const auto definitions = load_definitions();
  // definitions.json is written for the default delivery limit.
  const auto topology = amqp::kemas_topology(config::amqp_settings{}.delivery_limit);

  SUBCASE("exchanges") {
    std::set<std::tuple<std::string, std::string>> code, file;
    for (const auto& e : topology.exchanges)
      code.emplace(e.name, e.type);
    for (const auto& v : definitions.at("exchanges").as_array()) {
      const auto& e = v.as_object();
      CHECK(e.at("vhost") == "/");
      CHECK(e.at("durable") == true);
      CHECK(e.at("auto_delete") == false);
      CHECK(e.at("internal") == false);
      file.emplace(std::string(e.at("name").as_string()), std::string(e.at("type").as_string()));
    }
    CHECK(file == code);
  }

  SUBCASE("queues with typed arguments") {
    const auto& queues = definitions.at("queues").as_array();
    CHECK(queues.size() == topology.queues.size());
    for (const auto& spec : topology.queues) {
      CAPTURE(spec.name);
      const boost::json::object* found = nullptr;
      for (const auto& v : queues) {
        if (v.at("name") == spec.name.c_str())
          found = &v.as_object();
      }
      REQUIRE(found != nullptr);
      CHECK(found->at("vhost") == "/");
      CHECK(found->at("durable") == true);
      CHECK(found->at("auto_delete") == false);
      // Object equality compares kinds too: "5" would not equal 5.
      CHECK(boost::json::serialize(found->at("arguments")) ==
            boost::json::serialize(arguments_json(spec)));
      CHECK(found->at("arguments").as_object() == arguments_json(spec));
    }
  }

  SUBCASE("bindings") {
    std::set<std::tuple<std::string, std::string, std::string>> code, file;
    for (const auto& b : topology.bindings)
      code.emplace(b.source, b.destination, b.routing_key);
    for (const auto& v : definitions.at("bindings").as_array()) {
      const auto& b = v.as_object();
      CHECK(b.at("destination_type") == "queue");
      file.emplace(std::string(b.at("source").as_string()),
                   std::string(b.at("destination").as_string()),
                   std::string(b.at("routing_key").as_string()));
    }
    CHECK(file == code);
  }
}

namespace {

// The policy RabbitMQ applies to `queue`: of those whose pattern matches, the highest priority
// (there must be exactly one at that priority, or RabbitMQ's choice is arbitrary).
const boost::json::object* policy_for(const boost::json::object& definitions,
                                      const std::string& queue) {
  const boost::json::object* chosen = nullptr;
  int ties = 0;
  for (const auto& v : definitions.at("policies").as_array()) {
    const auto& policy = v.as_object();
    if (policy.at("apply-to") != "queues" ||
        !std::regex_search(queue, std::regex(std::string(policy.at("pattern").as_string()))))
      continue;
    if (chosen == nullptr ||
        policy.at("priority").as_int64() > chosen->at("priority").as_int64()) {
      chosen = &policy;
      ties = 0;
    } else if (policy.at("priority").as_int64() == chosen->at("priority").as_int64()) {
      ++ties;
    }
  }
  CHECK(ties == 0);
  return chosen;
}

}  // namespace

TEST_CASE("every queue a client or the relay fills is bounded by a policy that refuses rather than drops") {
  const auto definitions = load_definitions();
  const auto topology = amqp::kemas_topology(config::amqp_settings{}.delivery_limit);
  int bounded = 0;
  for (const auto& spec : topology.queues) {
    if (spec.name.starts_with("kemas.delay."))
      continue;  // filled only by the worker's retries of messages the bounded queues held
    CAPTURE(spec.name);
    const auto* policy = policy_for(definitions, spec.name);
    REQUIRE(policy != nullptr);
    const auto& definition = policy->at("definition").as_object();
    REQUIRE(definition.contains("max-length"));
    CHECK(definition.at("max-length").as_int64() > 0);
    CHECK(definition.at("overflow") == "reject-publish");
    if (spec.name != "kemas.dead-letters") {
      CHECK(policy->at("name") == "kemas-backlog");
      REQUIRE(definition.contains("max-length-bytes"));
      CHECK(definition.at("max-length-bytes").as_int64() > 0);
    }
    ++bounded;
  }
  // Every command queue, the audit and mail queues, the dead letters.
  CHECK(bounded == static_cast<int>(std::size(commands::all_command_types)) + 3);
  CHECK(policy_for(definitions, "kemas.delay.30s") == nullptr);
}

TEST_CASE("the topology has what DESIGN.md asks for") {
  const auto t = amqp::kemas_topology(7);
  for (auto type : commands::all_command_types) {
    const std::string name = amqp::command_queue(type);
    CAPTURE(name);
    const auto queue = std::find_if(t.queues.begin(), t.queues.end(),
                                    [&](const auto& q) { return q.name == name; });
    REQUIRE(queue != t.queues.end());
    const std::vector<amqp::queue_argument> expected{
        {"x-queue-type", std::string("quorum")},
        {"x-delivery-limit", std::int64_t{7}},
        {"x-dead-letter-exchange", std::string("kemas.dead")},
        {"x-dead-letter-strategy", std::string("at-least-once")},
        {"x-overflow", std::string("reject-publish")}};
    CHECK(queue->arguments == expected);
    const amqp::binding_spec binding{"kemas.commands", name, std::string(to_string(type))};
    CHECK(std::find(t.bindings.begin(), t.bindings.end(), binding) != t.bindings.end());
  }
  for (const auto& bucket : amqp::delay_buckets) {
    const std::string name = amqp::delay_exchange(bucket);
    const auto queue = std::find_if(t.queues.begin(), t.queues.end(),
                                    [&](const auto& q) { return q.name == name; });
    REQUIRE(queue != t.queues.end());
    const amqp::queue_argument ttl{"x-message-ttl", std::int64_t{bucket.ttl.count()}};
    const amqp::queue_argument back{"x-dead-letter-exchange", std::string("kemas.commands")};
    CHECK(std::find(queue->arguments.begin(), queue->arguments.end(), ttl) !=
          queue->arguments.end());
    CHECK(std::find(queue->arguments.begin(), queue->arguments.end(), back) !=
          queue->arguments.end());
    for (const auto& a : queue->arguments)
      CHECK(a.key != "x-dead-letter-routing-key");
  }
}

TEST_CASE("pick_delay_bucket never delivers early") {
  CHECK_FALSE(amqp::pick_delay_bucket(0ms));
  CHECK_FALSE(amqp::pick_delay_bucket(-5s));
  CHECK(amqp::pick_delay_bucket(1ms)->name == "1s");  // late by < 1 s rather than early
  CHECK(amqp::pick_delay_bucket(999ms)->name == "1s");
  CHECK(amqp::pick_delay_bucket(1s)->name == "1s");
  CHECK(amqp::pick_delay_bucket(4999ms)->name == "1s");
  CHECK(amqp::pick_delay_bucket(5s)->name == "5s");
  CHECK(amqp::pick_delay_bucket(31s)->name == "30s");
  CHECK(amqp::pick_delay_bucket(2min)->name == "2m");
  CHECK(amqp::pick_delay_bucket(59min)->name == "10m");
  CHECK(amqp::pick_delay_bucket(3h)->name == "1h");  // re-delayed until due
  CHECK(amqp::delay_exchange(*amqp::pick_delay_bucket(45s)) == "kemas.delay.30s");

  // Re-delaying with the picked buckets reaches any delay >= 1 s without arriving early,
  // and overshoots only by the final sub-second remainder.
  for (auto total : {1500ms, 7s + 300ms, std::chrono::milliseconds(3h + 7min + 12s)}) {
    std::chrono::milliseconds waited{0};
    while (auto bucket = amqp::pick_delay_bucket(total - waited))
      waited += bucket->ttl;
    CHECK(waited >= total);
    CHECK(waited - total < 1s);
  }
}
