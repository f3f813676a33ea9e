// The commands the workers issue themselves, without servers: the derived ids that make a
// sweep's expire and the delayed one the same command, the expiry decision, and where a
// scheduled command is published (delay bucket or kemas.commands). The payload codecs of
// every type are command_codecs_test.cpp's.

#include "workers/handlers/scheduled_commands.hpp"
#include "adapters/amqp/command_scheduler.hpp"
#include "domain/commands/envelope_codec.hpp"
#include "domain/commands/expire.hpp"
#include "domain/expiry_policy.hpp"
#include "domain/rfc3339.hpp"

#include <doctest/doctest.h>

#include <chrono>

using namespace kemas;
using namespace std::chrono_literals;
using kemas::expiry_action;

namespace {

const uuid user = *uuid::parse("0b7e2f3a-9c4d-4e5f-8a6b-7c8d9e0f1a2b");

timestamp at(std::string_view text) {
  return *parse_rfc3339(text);
}

}  // namespace

TEST_CASE("derived command ids are stable uuids of version 8") {
  const std::string a = worker::derived_command_id("expire x 2030");
  CHECK(a == worker::derived_command_id("expire x 2030"));
  CHECK(a != worker::derived_command_id("expire x 2031"));
  CHECK(commands::is_uuid_text(a));
  CHECK(a[14] == '8');
  CHECK(std::string("89ab").find(a[19]) != std::string::npos);
}

TEST_CASE("an account's expire for one due time is one command whoever issues it") {
  const auto due = at("2030-01-02T03:04:05.678Z");
  const auto scheduled = worker::make_expire_command(user, due, "req-upgrade");
  const auto swept = worker::make_expire_command(user, due, "sweep-7");
  CHECK(scheduled.id == swept.id);
  CHECK(scheduled.issued_at == due);  // latency of an expire = lateness after the plan's end
  CHECK(scheduled.type == commands::command_type::expire);
  CHECK_FALSE(scheduled.actor.user_id);
  CHECK(worker::make_expire_command(user, due + 1s, "r").id != scheduled.id);
  auto payload = commands::decode_as<commands::expire>(scheduled);
  REQUIRE(payload.has_value());
  CHECK(payload->due_at == due);
  // The envelope survives the codec (what the delay queues carry).
  auto decoded = commands::decode_envelope(commands::encode_envelope(scheduled));
  REQUIRE(decoded.has_value());
  CHECK(*decoded == scheduled);

  const auto sweep = worker::make_sweep_command(42, 60s, due);
  CHECK(sweep.id == worker::make_sweep_command(42, 60s, due + 5s).id);
  CHECK(sweep.id != worker::make_sweep_command(43, 60s, due).id);
  CHECK(sweep.id != worker::make_sweep_command(42, 30s, due).id);
  CHECK(sweep.request_id == "sweep-42");
}

TEST_CASE("the expiry decision") {
  const auto due = at("2030-01-02T03:04:05.678Z");
  using kemas::decide_expiry;
  CHECK(decide_expiry(std::nullopt, false, due, due).action == expiry_action::already_free);
  CHECK(decide_expiry(due, true, due, due + 5ms).action == expiry_action::downgrade);
  // Renewed: the stored expiry is later than the one this command was scheduled for.
  CHECK(decide_expiry(due + 30s, false, due, due + 1ms).action == expiry_action::renewed);
  // A sweep that published long after the due time still downgrades (due decides).
  CHECK(decide_expiry(due - 1h, true, due - 1h, due).action == expiry_action::downgrade);
  // The database's clock is behind the worker's: wait for what is left.
  const auto early = decide_expiry(due, false, due, due - 250ms);
  CHECK(early.action == expiry_action::not_yet);
  CHECK(early.remaining == 250ms);
  CHECK(decide_expiry(due, false, due, due).remaining == 1ms);
}

TEST_CASE("a scheduled command goes through the delay bucket that fits or straight in") {
  const auto now = at("2030-01-02T03:04:05.678Z");
  const auto command = worker::make_expire_command(user, now + 3s, "r");
  CHECK(amqp::scheduled_message(command, now + 3s, now).exchange == "kemas.delay.1s");
  CHECK(amqp::scheduled_message(command, now + 90min, now).exchange == "kemas.delay.1h");
  CHECK(amqp::scheduled_message(command, now + 200ms, now).exchange == "kemas.delay.1s");
  const auto due_now = amqp::scheduled_message(command, now, now);
  CHECK(due_now.exchange == "kemas.commands");
  CHECK(due_now.routing_key == "expire");
  CHECK(due_now.message_id == command.id);
  CHECK(amqp::scheduled_message(command, now - 1h, now).exchange == "kemas.commands");
}
