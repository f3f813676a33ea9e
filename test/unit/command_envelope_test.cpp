// The command envelope: domain names, the JSON codec's round trip and its precise reasons for
// refusing malformed messages, RFC 3339 handling, and the schema file agreeing with the code.

#include "domain/commands/envelope_codec.hpp"
#include "adapters/amqp/command_message.hpp"
#include "domain/rfc3339.hpp"
#include "domain/commands/envelope.hpp"

#include <doctest/doctest.h>
#include <boost/json.hpp>

#include <fstream>
#include <set>
#include <sstream>

using namespace kemas;
using commands::envelope_error;

namespace {

commands::envelope sample() {
  commands::envelope e;
  e.id = "0b7e2f3a-9c4d-4e5f-8a6b-7c8d9e0f1a2b";
  e.type = commands::command_type::upload;
  e.issued_at = *kemas::parse_rfc3339("2024-05-01T12:34:56.789Z");
  e.request_id = "req-123";
  e.actor = {std::string("11111111-2222-4333-8444-555555555555"), std::string("203.0.113.9")};
  e.payload = {{"name", "a.txt"}, {"size", 3}};
  return e;
}

// The sample as a JSON object, edited by `change`, then decoded.
auto decode_edited(const std::function<void(boost::json::object&)>& change) {
  boost::json::object o = boost::json::parse(commands::encode_envelope(sample())).as_object();
  change(o);
  return commands::decode_envelope(boost::json::serialize(o));
}

envelope_error error_of(
    const boost::system::result<commands::envelope, commands::envelope_problem>& r) {
  REQUIRE_FALSE(r.has_value());
  return r.error().code;
}

}  // namespace

TEST_CASE("command type names are the wire names and round-trip") {
  CHECK(commands::to_string(commands::command_type::delete_file) == "delete");
  CHECK(commands::to_string(commands::command_type::expire_sweep) == "expire-sweep");
  for (auto type : commands::all_command_types) {
    CHECK(commands::command_type_from_string(commands::to_string(type)) == type);
  }
  CHECK_FALSE(commands::command_type_from_string("Upload"));
  CHECK_FALSE(commands::command_type_from_string(""));
}

TEST_CASE("an envelope survives encode and decode unchanged") {
  const auto original = sample();
  const auto decoded = commands::decode_envelope(commands::encode_envelope(original));
  REQUIRE(decoded.has_value());
  CHECK(*decoded == original);

  auto system = sample();
  system.actor = {};
  system.type = commands::command_type::expire_sweep;
  const auto text = commands::encode_envelope(system);
  CHECK(text.find(R"("actor":{"user_id":null,"ip":null})") != std::string::npos);
  CHECK(*commands::decode_envelope(text) == system);
}

TEST_CASE("command_message sets the AMQP properties of DESIGN.md") {
  const auto m = amqp::command_message(sample());
  CHECK(m.exchange == "kemas.commands");
  CHECK(m.routing_key == "upload");
  CHECK(m.type == "upload");
  CHECK(m.message_id == sample().id);
  CHECK(m.correlation_id == "req-123");
  CHECK(m.persistent);
  CHECK(m.mandatory);
}

TEST_CASE("malformed envelopes are refused with the reason") {
  CHECK(error_of(commands::decode_envelope("this is not json")) == envelope_error::not_json);
  CHECK(error_of(commands::decode_envelope("")) == envelope_error::not_json);
  CHECK(error_of(commands::decode_envelope("[1,2]")) == envelope_error::not_object);
  CHECK(error_of(commands::decode_envelope(std::string(2 * 1024 * 1024, ' '))) ==
        envelope_error::too_big);
  CHECK(error_of(commands::decode_envelope(std::string(100, '[') + std::string(100, ']'))) ==
        envelope_error::not_json);  // deeper than max_depth
  // A number beyond a double's range reads as infinity, which cannot be encoded again as
  // JSON (found by test/fuzz/command_envelope): refused as not JSON, anywhere in the payload.
  {
    std::string text = commands::encode_envelope(sample());
    const auto at = text.find("\"size\":3");
    REQUIRE(at != std::string::npos);
    text.replace(at, 8, "\"size\":1e23456");
    const auto refused = commands::decode_envelope(text);
    CHECK(error_of(refused) == envelope_error::not_json);
    CHECK(refused.error().message.find("out of range") != std::string::npos);
    text.replace(text.find("1e23456"), 7, "[1,{\"x\":-1e999}]");
    CHECK(error_of(commands::decode_envelope(text)) == envelope_error::not_json);
  }

  SUBCASE("missing field names the field") {
    auto r = decode_edited([](auto& o) { o.erase("request_id"); });
    CHECK(error_of(r) == envelope_error::missing_field);
    CHECK(r.error().message.find("request_id") != std::string::npos);
  }
  SUBCASE("wrong types") {
    CHECK(error_of(decode_edited([](auto& o) { o["id"] = 5; })) == envelope_error::wrong_type);
    CHECK(error_of(decode_edited([](auto& o) { o["version"] = "1"; })) ==
          envelope_error::wrong_type);
    CHECK(error_of(decode_edited([](auto& o) { o["payload"] = "x"; })) ==
          envelope_error::wrong_type);
    CHECK(error_of(decode_edited([](auto& o) { o["actor"].as_object()["ip"] = 7; })) ==
          envelope_error::wrong_type);
  }
  SUBCASE("bad values") {
    auto r = decode_edited([](auto& o) { o["id"] = "not-a-uuid"; });
    CHECK(error_of(r) == envelope_error::bad_uuid);
    CHECK(r.error().message.find("not-a-uuid") != std::string::npos);
    CHECK(error_of(decode_edited([](auto& o) { o["actor"].as_object()["user_id"] = "u1"; })) ==
          envelope_error::bad_uuid);
    auto t = decode_edited([](auto& o) { o["type"] = "launch-rockets"; });
    CHECK(error_of(t) == envelope_error::unknown_type);
    CHECK(t.error().message.find("launch-rockets") != std::string::npos);
    CHECK(error_of(decode_edited([](auto& o) { o["version"] = 2; })) ==
          envelope_error::unsupported_version);
    CHECK(error_of(decode_edited([](auto& o) { o["issued_at"] = "yesterday"; })) ==
          envelope_error::bad_timestamp);
    CHECK(error_of(decode_edited([](auto& o) { o["request_id"] = "has space"; })) ==
          envelope_error::bad_request_id);
    CHECK(error_of(decode_edited([](auto& o) { o["request_id"] = ""; })) ==
          envelope_error::bad_request_id);
    CHECK(error_of(decode_edited([](auto& o) { o["extra"] = 1; })) ==
          envelope_error::unexpected_field);
  }
}

TEST_CASE("RFC 3339 timestamps") {
  using namespace std::chrono;
  const auto t = kemas::parse_rfc3339("2024-02-29T23:59:59.5Z");
  REQUIRE(t);
  CHECK(kemas::format_rfc3339(*t) == "2024-02-29T23:59:59.500Z");
  CHECK(kemas::parse_rfc3339("2024-03-01T06:59:59.500+07:00") == t);
  CHECK(kemas::parse_rfc3339("2024-02-29T23:59:59.500123456Z") == t);
  CHECK(kemas::format_rfc3339(*kemas::parse_rfc3339("1970-01-01T00:00:00Z")) ==
        "1970-01-01T00:00:00.000Z");
  for (const char* bad : {"2023-02-29T00:00:00Z", "2024-01-01 00:00:00Z", "2024-01-01T00:00:00",
                          "2024-01-01T24:00:00Z", "2024-01-01T00:00:00.Z", "2024-1-01T00:00:00Z",
                          "2024-01-01T00:00:00Zjunk", "2024-01-01T00:00:00+0700"}) {
    CAPTURE(bad);
    CHECK_FALSE(kemas::parse_rfc3339(bad));
  }
}

TEST_CASE("envelope.schema.json agrees with the code") {
  std::ifstream in(std::string(KEMAS_SOURCE_DIR) + "/schemas/commands/envelope.schema.json");
  REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  const auto schema = boost::json::parse(text.str()).as_object();
  CHECK(schema.at("$schema") == "https://json-schema.org/draft/2020-12/schema");

  std::set<std::string> required;
  for (const auto& v : schema.at("required").as_array())
    required.insert(std::string(v.as_string()));
  CHECK(required == std::set<std::string>{"id", "type", "version", "issued_at", "request_id",
                                          "actor", "payload"});

  const auto& properties = schema.at("properties").as_object();
  std::set<std::string> types;
  for (const auto& v : properties.at("type").at("enum").as_array()) {
    types.insert(std::string(v.as_string()));
  }
  std::set<std::string> code_types;
  for (auto type : commands::all_command_types)
    code_types.insert(std::string(to_string(type)));
  CHECK(types == code_types);
  CHECK(properties.at("version").at("const") == commands::envelope_version);
}
