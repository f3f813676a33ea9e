// kemas-worker's decisions, without a broker: which deliveries reach a handler, which are
// dead-lettered and why, and how a handler's result settles the message.

#include "domain/commands/envelope_codec.hpp"
#include "adapters/amqp/command_message.hpp"
#include "workers/audit_consumer.hpp"
#include "workers/command_dispatcher.hpp"

#include <doctest/doctest.h>

using namespace kemas;
using worker::handler_result;

namespace {

struct counting_handler final : worker::command_handler {
  int calls = 0;
  handler_result handle(const commands::envelope&) override {
    ++calls;
    return handler_result::done();
  }
};

amqp::delivery delivery_of(commands::command_type type) {
  commands::envelope e;
  e.id = "0b7e2f3a-9c4d-4e5f-8a6b-7c8d9e0f1a2b";
  e.type = type;
  e.request_id = "req-1";
  amqp::delivery d;
  d.body = commands::encode_envelope(e);
  d.queue = amqp::command_queue(type);
  return d;
}

}  // namespace

TEST_CASE("plan_dispatch: malformed and unhandled commands are dead-lettered with a reason") {
  worker::handler_registry registry;
  auto upload = std::make_shared<counting_handler>();
  registry.add(commands::command_type::upload, upload);
  CHECK_THROWS_AS(registry.add(commands::command_type::upload, upload), std::logic_error);

  amqp::delivery garbage;
  garbage.body = "\x01garbage";
  auto plan = worker::plan_dispatch(garbage, registry);
  CHECK(plan.handler == nullptr);
  CHECK(plan.dead_letter_reason.find("malformed command (not_json)") == 0);

  plan = worker::plan_dispatch(delivery_of(commands::command_type::expire), registry);
  CHECK(plan.handler == nullptr);
  CHECK(plan.dead_letter_reason == "no handler for command type 'expire' in this worker");

  plan = worker::plan_dispatch(delivery_of(commands::command_type::upload), registry);
  CHECK(plan.handler == upload.get());
  REQUIRE(plan.command);
  CHECK(plan.command->request_id == "req-1");
}

// settle_after and command_dispatcher itself: test/unit/command_dispatcher_test.cpp.

TEST_CASE("audit events are checked before they are acknowledged") {
  CHECK_FALSE(worker::check_audit_event(
      R"({"id":"0b7e2f3a-9c4d-4e5f-8a6b-7c8d9e0f1a2b","type":"file.uploaded"})"));
  CHECK(worker::check_audit_event("nope")->find("not valid JSON") != std::string::npos);
  CHECK(worker::check_audit_event(R"({"id":"x","type":"t"})")->find("'id'") != std::string::npos);
  CHECK(worker::check_audit_event(R"({"id":"0b7e2f3a-9c4d-4e5f-8a6b-7c8d9e0f1a2b"})")
            ->find("'type'") != std::string::npos);
}
