// Mail without servers: templates, MIME composition, sealed reset tokens, and which notice
// each event sends.

#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <set>

#include "adapters/crypto/sealed_box.hpp"
#include "adapters/mail/mime_message.hpp"
#include "adapters/mail/templates.hpp"
#include "domain/base64.hpp"
#include "domain/rfc3339.hpp"
#include "workers/mail_notices.hpp"

using namespace kemas;
namespace json = boost::json;

namespace {

const char* const user_id = "0b7c2a4e-1f7e-4a53-9d39-8c1c3f6a1b2c";
const char* const other_id = "7e0d8c57-3b6f-4c1e-a4a9-2f2b9c0f5e11";

std::string event_text(std::string_view type, json::object data, std::string subject_type = "user",
                       std::string subject_id = user_id) {
  json::object e{{"id", "3f1b9a5e-8c2d-4e7f-9a0b-1c2d3e4f5a6b"},
                 {"type", type},
                 {"version", 1},
                 {"occurred_at", "2026-12-04T10:00:00.000Z"},
                 {"request_id", "req-1"},
                 {"actor", json::object{{"user_id", other_id}, {"ip", "203.0.113.7"}}},
                 {"subject", json::object{{"type", subject_type}, {"id", subject_id}}},
                 {"data", std::move(data)}};
  return json::serialize(e);
}

worker::mail_event parsed(const std::string& text) {
  auto e = worker::parse_mail_event(text);
  REQUIRE(std::holds_alternative<worker::mail_event>(e));
  return std::get<worker::mail_event>(e);
}

mail::template_values common_values() {
  return {{"username", "alice"},
          {"email", "alice@example.com"},
          {"base_url", "https://kemas.example"},
          {"occurred_at", "2026-12-04 10:00 UTC"},
          {"request_id", "req-1"},
          {"ip", "203.0.113.7"},
          {"reset_url", "https://kemas.example/reset-password#token=x"}};
}

}  // namespace

TEST_CASE("mail templates fill values and escape them in HTML") {
  mail::template_values values{{"name", "<b>Tom & \"Jerry\"</b>"}};
  CHECK(*mail::fill("Hi {{name}}!", values, false) == "Hi <b>Tom & \"Jerry\"</b>!");
  CHECK(*mail::fill("Hi {{ name }}!", values, true) ==
        "Hi &lt;b&gt;Tom &amp; &quot;Jerry&quot;&lt;/b&gt;!");
  auto missing = mail::fill("Hi {{nobody}}", values, false);
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().field == "nobody");
}

TEST_CASE("every notice kind has a template that renders with the values its notice gives") {
  const auto templates = mail::template_set::built_in();
  const std::vector<std::string> events{
      event_text("auth.password_reset_requested",
                 {{"token_sealed", "x"}, {"expires_at", "2026-12-04T10:30:00.000Z"}}),
      event_text("auth.password_changed", {}),
      event_text("auth.login", {}),
      event_text("apikey.created",
                 {{"name", "ci"}, {"prefix", "abcd1234"}, {"scopes", json::array{"files:read"}}},
                 "api_key", "k1"),
      event_text("user.role_changed",
                 {{"before", {{"role", "user"}}}, {"after", {{"role", "admin"}}}}),
      event_text("user.disabled", {}),
      event_text("plan.upgraded", {{"plan", "premium"},
                                   {"from_plan", "free"},
                                   {"order_id", 42},
                                   {"amount_cents", 500},
                                   {"currency", "USD"},
                                   {"expires_at", "2027-01-03T10:00:00.000Z"},
                                   {"payment_reference", "demo-1"}}),
      event_text(
          "plan.expired",
          {{"from_plan", "premium"}, {"expired_at", "2026-12-04T10:00:00.000Z"}, {"locked", 3}}),
  };
  std::set<std::string> seen;
  for (const auto& text : events) {
    for (auto& notice : worker::notices_for(parsed(text), {})) {
      auto values = common_values();
      values.insert(notice.values.begin(), notice.values.end());
      auto rendered = templates.render(notice.kind, values);
      INFO(notice.kind);
      REQUIRE(rendered.has_value());
      CHECK_FALSE(rendered->subject.empty());
      CHECK(rendered->text.find("{{") == std::string::npos);
      CHECK(rendered->html.find("{{") == std::string::npos);
      CHECK(rendered->text.find("alice") != std::string::npos);
      seen.insert(notice.kind);
    }
  }
  // Every kind the mailer can send was rendered above.
  CHECK(seen.size() == worker::notice_kinds().size());
  CHECK(templates.render("plan_upgraded", common_values()).error().code ==
        errc::validation_failed);  // the receipt's own values are required
}

TEST_CASE("notices: who gets which message") {
  SUBCASE("api key created goes to the actor") {
    auto n = worker::notices_for(
        parsed(event_text("apikey.created", {{"name", "ci"}}, "api_key", "k1")), {});
    REQUIRE(n.size() == 1);
    CHECK(n[0].kind == "api_key_created");
    CHECK(n[0].user_id.to_string() == other_id);
  }
  SUBCASE("a login asks for the new-address check") {
    auto n = worker::notices_for(parsed(event_text("auth.login", {})), {});
    REQUIRE(n.size() == 1);
    CHECK(n[0].condition == worker::notice_condition::new_login_address);
    CHECK(n[0].user_id.to_string() == user_id);
  }
  SUBCASE("an upgrade sends a receipt now and a reminder before the end") {
    auto n = worker::notices_for(
        parsed(event_text("plan.upgraded",
                          {{"plan", "premium"}, {"expires_at", "2027-01-03T10:00:00.000Z"}})),
        worker::notice_options{std::chrono::hours(72)});
    REQUIRE(n.size() == 2);
    CHECK(n[0].kind == "plan_upgraded");
    CHECK_FALSE(n[0].due);
    CHECK(n[1].kind == "plan_expiring");
    REQUIRE(n[1].due);
    CHECK(format_rfc3339(std::chrono::time_point_cast<std::chrono::milliseconds>(*n[1].due)) ==
          "2026-12-31T10:00:00.000Z");
    CHECK(n[1].condition == worker::notice_condition::plan_still_ends);
  }
  SUBCASE("a plan shorter than the notice period gets no reminder") {
    auto n = worker::notices_for(
        parsed(event_text("plan.upgraded",
                          {{"plan", "premium"}, {"expires_at", "2026-12-04T10:02:00.000Z"}})),
        worker::notice_options{std::chrono::hours(72)});
    REQUIRE(n.size() == 1);
    CHECK(n[0].kind == "plan_upgraded");
  }
  SUBCASE("events that send nothing") {
    CHECK(worker::notices_for(parsed(event_text("file.uploaded", {})), {}).empty());
    CHECK(worker::notices_for(parsed(event_text("user.enabled", {})), {}).empty());
  }
  SUBCASE("malformed events are refused with a reason") {
    CHECK(std::holds_alternative<std::string>(worker::parse_mail_event("not json")));
    CHECK(
        std::holds_alternative<std::string>(worker::parse_mail_event(R"({"type":"auth.login"})")));
  }
}

TEST_CASE("a MIME message has its headers and both bodies and cannot be given extra headers") {
  mail::mime_message m;
  m.from = "kemas <no-reply@kemas.example>";
  m.to = "alice@example.com\r\nBcc: evil@example.com";
  m.subject = "Grüße\r\nBcc: evil@example.com";
  m.text = "plain body";
  m.html = "<p>html body</p>";
  m.message_id = "3f1b9a5e.password_reset";
  const std::string out = mail::render(m, "BOUNDARY");
  CHECK(out.find("From: kemas <no-reply@kemas.example>\r\n") != std::string::npos);
  CHECK(out.find("\r\nBcc:") == std::string::npos);
  CHECK(out.find("Subject: =?UTF-8?B?") != std::string::npos);
  CHECK(out.find("Message-ID: <3f1b9a5e.password_reset@kemas.example>\r\n") != std::string::npos);
  CHECK(out.find("multipart/alternative; boundary=\"BOUNDARY\"") != std::string::npos);
  CHECK(out.find(base64("plain body")) != std::string::npos);
  CHECK(out.find(base64("<p>html body</p>")) != std::string::npos);
  CHECK(out.ends_with("--BOUNDARY--\r\n"));
  // Every line ends with CRLF.
  for (std::size_t at = out.find('\n'); at != std::string::npos; at = out.find('\n', at + 1))
    CHECK(out[at - 1] == '\r');
  CHECK(mail::address_of("kemas <no-reply@kemas.example>") == "no-reply@kemas.example");
  CHECK(mail::address_of("plain@example.com") == "plain@example.com");
}

TEST_CASE("a sealed reset token opens only with its key and user") {
  const std::string key = "a key of at least thirty-two bytes!!";
  const std::string box = crypto::seal(key, crypto::reset_token_purpose, user_id, "the-token");
  CHECK(box.find("the-token") == std::string::npos);
  CHECK(crypto::open_sealed(key, crypto::reset_token_purpose, user_id, box) == "the-token");
  CHECK_FALSE(crypto::open_sealed(key, crypto::reset_token_purpose, other_id, box));
  CHECK_FALSE(crypto::open_sealed("another key of thirty-two bytes!!!!",
                                  crypto::reset_token_purpose, user_id, box));
  CHECK_FALSE(crypto::open_sealed(key, "another purpose", user_id, box));
  std::string edited = box;
  edited[edited.size() / 2] = edited[edited.size() / 2] == 'A' ? 'B' : 'A';
  CHECK_FALSE(crypto::open_sealed(key, crypto::reset_token_purpose, user_id, edited));
  CHECK_FALSE(crypto::open_sealed(key, crypto::reset_token_purpose, user_id, "short"));
  // Two seals of the same token differ (random nonce).
  CHECK(crypto::seal(key, crypto::reset_token_purpose, user_id, "the-token") != box);
}
