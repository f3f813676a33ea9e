// Every command type's codec (domain/commands/<type>.hpp) without servers: what the api and the
// workers write decodes to the same typed command, and payloads that can never succeed are
// refused with a reason naming the field. The same samples are checked against the JSON
// Schemas by test/schema/check_command_schemas.py (CTest unit/command_schemas_*).

#include "domain/commands/all.hpp"
#include "domain/model/object_key.hpp"
#include "test/support/command_samples.hpp"

#include <doctest/doctest.h>
#include <boost/json.hpp>

using namespace kemas;

namespace {

const std::string user = "0b7e2f3a-9c4d-4e5f-8a6b-7c8d9e0f1a2b";

// `payload` (JSON text) in an envelope of `type`, actor.user_id = `actor`.
commands::envelope envelope(commands::command_type type, std::string_view payload,
                            std::optional<std::string> actor = std::nullopt) {
  commands::envelope e;
  e.id = "11111111-2222-4333-8444-555555555555";
  e.type = type;
  e.request_id = "req-1";
  e.actor.user_id = std::move(actor);
  e.payload = boost::json::parse(payload).as_object();
  return e;
}

timestamp at(std::string_view text) {
  return *parse_rfc3339(text);
}

// Decodes `e` with its type's codec; re-encodes what it got. nullopt: refused (`why` set).
std::optional<commands::envelope> round_trip(const commands::envelope& e, std::string& why) {
  auto again = [&](const auto& decoded) -> std::optional<commands::envelope> {
    if (!decoded) {
      why = decoded.error().reason;
      return std::nullopt;
    }
    return commands::make_envelope(*decoded, {e.id, e.issued_at, e.request_id, e.actor});
  };
  switch (e.type) {
    case commands::command_type::upload:
      return again(commands::decode_as<commands::upload>(e));
    case commands::command_type::delete_file:
      return again(commands::decode_as<commands::delete_file>(e));
    case commands::command_type::upgrade:
      return again(commands::decode_as<commands::upgrade>(e));
    case commands::command_type::expire:
      return again(commands::decode_as<commands::expire>(e));
    case commands::command_type::expire_sweep:
      return again(commands::decode_as<commands::expire_sweep>(e));
    case commands::command_type::assign_plan:
      return again(commands::decode_as<commands::assign_plan>(e));
    case commands::command_type::expire_share:
      return again(commands::decode_as<commands::expire_share>(e));
    case commands::command_type::expire_upload:
      return again(commands::decode_as<commands::expire_upload>(e));
  }
  return std::nullopt;
}

}  // namespace

TEST_CASE("every sample: the codec accepts what it writes and refuses the rest") {
  for (const auto& sample : test::command_samples()) {
    CAPTURE(sample.name);
    // Through the wire form first, as a worker receives it.
    auto received = commands::decode_envelope(commands::encode_envelope(sample.command));
    REQUIRE(received.has_value());
    std::string why;
    const auto again = round_trip(*received, why);
    CHECK(again.has_value() == sample.codec_accepts);
    if (again) {
      CHECK(*again == sample.command);
    } else {
      CHECK(why.find(std::string(to_string(sample.command.type))) == 0);
    }
  }
}

TEST_CASE("a command of one type is not decoded as another") {
  const auto deletion =
      commands::make_envelope(commands::delete_file{*uuid::parse(user), *uuid::parse(user)}, {});
  const auto wrong = commands::decode_as<commands::upload>(deletion);
  REQUIRE_FALSE(wrong.has_value());
  CHECK(wrong.error().reason == "upload command expected, got delete");
}

TEST_CASE("upload: the owner is the actor and the key is u/{owner}/{file_id}") {
  const auto sample = test::command_samples().at(1);  // inline
  const auto upload = commands::decode_as<commands::upload>(sample.command);
  REQUIRE(upload.has_value());
  CHECK(upload->owner.to_string() == *sample.command.actor.user_id);
  CHECK(upload->object_key == model::object_key_for(upload->owner, upload->file_id));
  CHECK(upload->inline_body == std::optional<std::string>("hello, world\n"));
  CHECK(sample.command.payload.at("inline_base64").as_string() == "aGVsbG8sIHdvcmxkCg==");

  auto moved = sample.command;
  moved.payload["object_key"] = "u/" + user + "/" + std::string(upload->file_id.to_string());
  const auto refused = commands::decode_as<commands::upload>(moved);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().reason == "upload payload: field 'object_key' is not u/{owner}/{file_id}");
}

TEST_CASE("upgrade payload: order id and plan name with the actor as buyer") {
  auto ok = commands::decode_as<commands::upgrade>(
      envelope(commands::command_type::upgrade,
               R"({"order_id":"AAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE","plan":"premium"})", user));
  REQUIRE(ok.has_value());
  CHECK(ok->buyer.to_string() == user);
  CHECK(ok->order_id.to_string() == "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee");
  CHECK(ok->plan == "premium");

  CHECK_FALSE(
      commands::decode_as<commands::upgrade>(
          envelope(commands::command_type::upgrade, R"({"order_id":"x","plan":"premium"})", user))
          .has_value());
  CHECK_FALSE(
      commands::decode_as<commands::upgrade>(
          envelope(commands::command_type::upgrade,
                   R"({"order_id":"aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee","plan":"Gold!"})", user))
          .has_value());
  const auto no_buyer = commands::decode_as<commands::upgrade>(
      envelope(commands::command_type::upgrade,
               R"({"order_id":"aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee","plan":"premium"})"));
  REQUIRE_FALSE(no_buyer.has_value());
  CHECK(no_buyer.error().reason.find("actor.user_id") != std::string::npos);
}

TEST_CASE("expire and expire-sweep payloads") {
  auto expire = commands::decode_as<commands::expire>(envelope(
      commands::command_type::expire,
      std::string(R"({"user_id":")") + user + R"(","due_at":"2030-01-02T03:04:05.678Z"})"));
  REQUIRE(expire.has_value());
  CHECK(expire->user_id.to_string() == user);
  CHECK(expire->due_at == at("2030-01-02T03:04:05.678Z"));
  CHECK_FALSE(commands::decode_as<commands::expire>(
                  envelope(commands::command_type::expire,
                           std::string(R"({"user_id":")") + user + R"(","due_at":"soon"})"))
                  .has_value());
  // A payload that is not an object never reaches the codec: the envelope refuses it.
  const auto listed = commands::decode_envelope(
      R"({"id":"11111111-2222-4333-8444-555555555555","type":"expire","version":1,)"
      R"("issued_at":"2030-01-02T03:04:05.678Z","request_id":"r","actor":{},"payload":[]})");
  REQUIRE_FALSE(listed.has_value());
  CHECK(listed.error().code == commands::envelope_error::wrong_type);

  auto manual = commands::decode_as<commands::expire_sweep>(
      envelope(commands::command_type::expire_sweep, "{}"));
  REQUIRE(manual.has_value());
  CHECK_FALSE(manual->slot);
  auto slotted = commands::decode_as<commands::expire_sweep>(
      envelope(commands::command_type::expire_sweep, R"({"slot":29000000})"));
  REQUIRE(slotted.has_value());
  CHECK(*slotted->slot == 29000000);
  CHECK_FALSE(commands::decode_as<commands::expire_sweep>(
                  envelope(commands::command_type::expire_sweep, R"({"slot":"1"})"))
                  .has_value());
}
