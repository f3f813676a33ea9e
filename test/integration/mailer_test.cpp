// The mailer role end to end: the api in-process, kemas-worker --role commands (its outbox
// relay publishes the events), --role mailer and --role audit as child processes in a vhost
// of the test's own, and a real SMTP server (aiosmtpd) on loopback.

#include <doctest/doctest.h>

#include <soci/soci.h>
#include <spdlog/sinks/ostream_sink.h>
#include <boost/json.hpp>

#include <mutex>
#include <regex>
#include <sstream>

#include "adapters/amqp/publisher.hpp"
#include "adapters/log/logging.hpp"
#include "adapters/postgres/pool.hpp"
#include "test/support/amqp_fixture.hpp"
#include "test/support/api_fixture.hpp"
#include "test/support/mail_sink.hpp"
#include "test/support/outbox_fixture.hpp"
#include "test/support/worker_fixture.hpp"

using namespace kemas;
using namespace std::chrono_literals;
namespace json = boost::json;
using test::api_fixture;

namespace {

// Everything the in-process api logs, to search for secrets.
class captured_log {
 public:
  captured_log() {
    config::log_settings settings;
    settings.level = "debug";
    log::init_logging(settings, "kemas-api-test",
                      std::make_shared<spdlog::sinks::ostream_sink_mt>(out_),
                      log::delivery::direct);
  }
  ~captured_log() {
    log::init_logging(config::log_settings{}, "kemas_it", nullptr, log::delivery::direct);
  }
  std::string text() const { return out_.str(); }

 private:
  std::ostringstream out_;
};

std::vector<std::pair<std::string, std::string>> with(
    std::vector<std::pair<std::string, std::string>> extra,
    std::vector<std::pair<std::string, std::string>> base) {
  base.insert(base.end(), extra.begin(), extra.end());  // later entries win
  return base;
}

// A stack for these tests: vhost + commands worker (relay) + api + mailer + audit.
struct mail_stack {
  explicit mail_stack(std::string_view tag, bool sink_up = true,
                      std::vector<std::pair<std::string, std::string>> mailer_env = {})
      : sink(std::string(tag) + "-smtp", sink_up),
        workers(tag),
        api(workers.api_tweak([](config::settings& s) { s.ratelimit.auth_limit = 1000; })),
        mailer_process(test::start_worker(
            "mailer", api.database().settings().url, workers.vhost().name(),
            std::string(tag) + ".mailer",
            with(std::move(mailer_env), {{"KEMAS_MAIL_SMTP_URL", sink.url()},
                                         {"KEMAS_MAIL_PUBLIC_BASE_URL", "https://kemas.test"}}))),
        audit_process(test::start_worker("audit", api.database().settings().url,
                                         workers.vhost().name(), std::string(tag) + ".audit")) {
    workers.start(api.database().settings());
    REQUIRE(mailer->wait_for_stderr("\"msg\":\"amqp consumer connected\"", 20s));
    REQUIRE(audit->wait_for_stderr("\"msg\":\"amqp consumer connected\"", 20s));
  }

  test::raw_response register_user(const std::string& name) const {
    return api.call("POST", "/api/v1/user/register",
                    json::serialize(json::object{{"email", name + "@example.com"},
                                                 {"username", name},
                                                 {"password", "correct horse 1"}}));
  }
  std::string login(const std::string& name, const std::string& password = "correct horse 1",
                    const std::string& ip = "") const {
    const std::string headers = ip.empty() ? std::string{} : "X-Forwarded-For: " + ip + "\r\n";
    auto r = api.call(
        "POST", "/api/v1/user/login",
        json::serialize(json::object{{"email", name + "@example.com"}, {"password", password}}),
        headers);
    INFO(r.body);
    REQUIRE(r.status == 200);
    return std::string(test::parse(r).at("access_token").as_string());
  }

  std::vector<json::object> outbox() const {
    postgres::pg_pool pool(api.database().settings(), "kemas-test");
    auto rows = pool.with_session([](soci::session& sql) { return test::outbox_events(sql); });
    pool.stop();
    return rows;
  }

  std::vector<std::string> audit_rows() const {
    postgres::pg_pool pool(api.database().settings(), "kemas-test");
    return pool.with_session([](soci::session& sql) {
      std::vector<std::string> rows;
      soci::rowset<std::string> rs =
          (sql.prepare << "SELECT row_to_json(a)::text FROM audit_log a ORDER BY chain_seq");
      for (const auto& r : rs)
        rows.push_back(r);
      return rows;
    });
  }

  test::mail_sink sink;
  test::worker_fixture workers;
  api_fixture api;
  test::child_process mailer_process;
  test::child_process audit_process;
  test::child_process* mailer = &mailer_process;
  test::child_process* audit = &audit_process;
};

auto to(const std::string& name) {
  return
      [address = name + "@example.com"](const test::received_mail& m) { return m.to == address; };
}

auto subject_has(const std::string& name, const std::string& words) {
  return [address = name + "@example.com", words](const test::received_mail& m) {
    return m.to == address && m.subject.find(words) != std::string::npos;
  };
}

}  // namespace

TEST_CASE("a password reset reaches the user by mail and only by mail") {
  captured_log api_log;
  mail_stack stack("mail-reset");
  REQUIRE(stack.register_user("rita").status == 201);
  const std::string old_session = stack.login("rita");

  CHECK(stack.api.call("POST", "/api/v1/user/password-reset", R"({"email":"rita@example.com"})")
            .status == 202);
  auto mails = stack.sink.wait_for(subject_has("rita", "Reset your kemas password"), 1, 30s);
  INFO(stack.mailer->stderr_text());
  REQUIRE(mails.size() == 1);
  const auto& mail = mails[0];
  CHECK(mail.html.find("Choose a new password") != std::string::npos);
  std::smatch found;
  REQUIRE(std::regex_search(
      mail.text, found,
      std::regex("https://kemas\\.test/reset-password#token=([A-Za-z0-9_-]{43})")));
  const std::string token = found[1];

  // The token from the message sets a new password, once; the old session is gone.
  const std::string confirm =
      json::serialize(json::object{{"token", token}, {"password", "a brand new pass"}});
  CHECK(stack.api.call("POST", "/api/v1/user/password-reset/confirm", confirm).status == 204);
  CHECK(stack.api.call("POST", "/api/v1/user/password-reset/confirm", confirm).status == 400);
  CHECK(stack.api.call("GET", "/api/v1/auth/me", {}, test::bearer(old_session)).status == 401);
  stack.login("rita", "a brand new pass");

  // The reset itself is announced too.
  CHECK(stack.sink.wait_for(subject_has("rita", "password was changed"), 1, 30s).size() == 1);

  // The token is nowhere but in that message: not in events (outbox), the audit trail, or
  // any log line of the api, the relay, the mailer or the audit writer.
  REQUIRE(test::eventually(
      [&] {
        for (const auto& row : stack.audit_rows()) {
          if (row.find("auth.password_reset\"") != std::string::npos)
            return true;
        }
        return false;
      },
      20s, 100ms));
  for (const auto& event : stack.outbox())
    CHECK(json::serialize(event).find(token) == std::string::npos);
  for (const auto& row : stack.audit_rows())
    CHECK(row.find(token) == std::string::npos);
  CHECK(api_log.text().find(token) == std::string::npos);
  CHECK(api_log.text().find("password-reset") != std::string::npos);  // the capture works
  CHECK(stack.mailer->stderr_text().find(token) == std::string::npos);
  CHECK(stack.audit->stderr_text().find(token) == std::string::npos);
  CHECK(stack.workers.log().find(token) == std::string::npos);
}

TEST_CASE("the mailer retries while the SMTP server is down and sends once when it is back") {
  mail_stack stack("mail-retry", /*sink_up=*/false);
  REQUIRE(stack.register_user("sam").status == 201);
  stack.login("sam");
  const std::string body = R"({"name":"ci","scopes":["files:read"],"expires_in_days":30})";
  // API keys need a session; the key's mail goes to its creator.
  const std::string session = stack.login("sam");
  REQUIRE(stack.api.call("POST", "/api/v1/auth/keys", body, test::bearer(session)).status == 201);

  REQUIRE(stack.mailer->wait_for_stderr("\"msg\":\"mail not sent; retrying\"", 30s));
  stack.sink.start();
  auto mails = stack.sink.wait_for(subject_has("sam", "A new kemas API key: ci"), 1, 40s);
  INFO(stack.mailer->stderr_text());
  REQUIRE(mails.size() == 1);
  CHECK(mails[0].text.find("files:read") != std::string::npos);

  // The same event delivered again (the relay and the broker are at-least-once) sends nothing.
  json::object key_event;
  for (const auto& e : stack.outbox()) {
    if (e.at("type") == "apikey.created")
      key_event = e;
  }
  REQUIRE_FALSE(key_event.empty());
  amqp::amqp_publisher publisher(stack.workers.vhost().amqp_settings());
  amqp::outgoing_message again;
  again.exchange = "kemas.events";
  again.routing_key = "apikey.created";
  again.body = json::serialize(key_event);
  again.message_id = std::string(key_event.at("id").as_string());
  REQUIRE(publisher.publish_sync(again).ok());
  publisher.stop();
  REQUIRE(stack.mailer->wait_for_stderr("\"msg\":\"mail already sent\"", 20s));
  CHECK(stack.sink.wait_for(to("sam"), 2, 1s).size() == 1);
}

TEST_CASE("a login from a new address is announced and a known one is not") {
  mail_stack stack("mail-login");
  REQUIRE(stack.register_user("nora").status == 201);
  stack.login("nora", "correct horse 1", "198.51.100.10");  // the first address: no mail
  stack.login("nora", "correct horse 1", "198.51.100.10");
  stack.login("nora", "correct horse 1", "198.51.100.20");  // new
  auto mails = stack.sink.wait_for(subject_has("nora", "New sign-in"), 1, 30s);
  INFO(stack.mailer->stderr_text());
  REQUIRE(mails.size() == 1);
  CHECK(mails[0].subject.find("198.51.100.20") != std::string::npos);
  stack.login("nora", "correct horse 1", "198.51.100.20");  // known now
  // Every login was looked at (4 logins: 3 skipped, 1 sent) and only one message went out.
  REQUIRE(test::eventually(
      [&] {
        const auto log = stack.mailer->stderr_text();
        std::size_t skipped = 0;
        for (auto at = log.find("\"msg\":\"mail skipped\""); at != std::string::npos;
             at = log.find("\"msg\":\"mail skipped\"", at + 1))
          ++skipped;
        return skipped >= 3;
      },
      20s, 100ms));
  CHECK(stack.sink.wait_for(subject_has("nora", "New sign-in"), 2, 1s).size() == 1);
}

TEST_CASE("a message that cannot be sent within mail.attempts goes to the dead letters") {
  mail_stack stack("mail-dead", /*sink_up=*/false, {{"KEMAS_MAIL_ATTEMPTS", "2"}});
  REQUIRE(stack.register_user("dora").status == 201);
  const std::string session = stack.login("dora");
  REQUIRE(stack.api
              .call("POST", "/api/v1/auth/keys", R"({"name":"ci","scopes":["files:read"]})",
                    test::bearer(session))
              .status == 201);
  // Attempt 1 fails, the copy comes back after 1 s, attempt 2 fails: dead-lettered.
  REQUIRE(stack.mailer->wait_for_stderr("\"msg\":\"mail dead-lettered\"", 30s));
  const auto dead = test::take_matching(
      stack.workers.vhost().amqp_settings(), "kemas.dead-letters",
      [](const amqp::delivery& d) {
        return test::header_text(d, "x-kemas-mail-kind") == "api_key_created";
      },
      1, 10s);
  REQUIRE(dead.size() == 1);
  CHECK(test::header_text(dead[0], "x-kemas-reason").find("Failed to connect") !=
        std::string::npos);
  CHECK(test::header_text(dead[0], "x-kemas-mail-attempt") == "2");
  CHECK(test::header_text(dead[0], "x-kemas-source-queue") == "kemas.events.mail");
}

TEST_CASE("a plan upgrade mails the receipt and then that the plan ends soon and that it ended") {
  // A 6-second premium and a 3-second notice period: the reminder waits in the delay queues.
  mail_stack stack("mail-plan", true, {{"KEMAS_MAIL_EXPIRY_NOTICE", "3s"}});
  {
    postgres::pg_pool pool(stack.api.database().settings(), "kemas-test");
    pool.with_session([](soci::session& sql) {
      sql << "UPDATE plans SET duration_seconds = 6 WHERE name = 'premium'";
    });
  }
  REQUIRE(stack.register_user("petra").status == 201);
  const std::string session = stack.login("petra");
  auto upgraded = stack.api.call("POST", "/api/v1/auth/billing/upgrade", R"({"package":"premium"})",
                                 test::bearer(session));
  INFO(upgraded.body);
  REQUIRE(upgraded.status == 200);

  auto receipt = stack.sink.wait_for(subject_has("petra", "Receipt: kemas premium"), 1, 20s);
  INFO(stack.mailer->stderr_text());
  REQUIRE(receipt.size() == 1);
  CHECK(receipt[0].text.find("5.00 USD") != std::string::npos);
  CHECK(stack.sink.wait_for(subject_has("petra", "plan ends on"), 1, 20s).size() == 1);
  CHECK(stack.sink.wait_for(subject_has("petra", "plan has ended"), 1, 30s).size() == 1);
  // Each once.
  CHECK(stack.sink.wait_for(to("petra"), 4, 2s).size() == 3);
}
