// Issue 13's findings against the real kemas-api wiring (api_fixture: a scratch database,
// the shared Redis): what an attacker tries against accounts, sessions and keys — locking the
// owner out, guessing from many places or through a stolen session, timing failed logins,
// forging refresh tokens and cross-site requests, spending someone's API key, flooding the
// hashing threads. docs/SECURITY.md names each test here next to its threat.
#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>

#include <random>
#include <set>
#include <thread>

#include "adapters/crypto/tokens.hpp"
#include "adapters/postgres/conninfo.hpp"
#include "test/support/api_fixture.hpp"
#include "test/support/eventually.hpp"
#include "test/support/upload_client.hpp"

using namespace std::chrono_literals;
using namespace kemas::test;
namespace json = boost::json;

namespace {
raw_response login_from(const api_fixture& api, std::string_view address,
                        const std::string& password) {
  const std::string body =
      json::serialize(json::object{{"username", "fred"}, {"password", password}});
  return api.call("POST", "/api/v1/user/login", body,
                  "X-Forwarded-For: " + std::string(address) + "\r\n");
}
}  // namespace

TEST_CASE("failed logins lock out the guessing address and not the owner elsewhere") {
  // Finding 3 of issue 13: five wrong passwords from anywhere used to lock the owner out
  // everywhere, renewable forever.
  api_fixture api([](kemas::config::settings& s) {
    s.auth.login_failure_limit = 3;
    s.auth.lockout_duration = 60s;
    s.auth.account_failure_limit = 5;
    s.auth.account_failure_window = 60s;
    s.ratelimit.auth_limit = 1000;
  });
  sign_up(api, "fred");
  const std::string right = "correct horse 1";
  const std::string wrong = "wrong password";
  const std::string home = "10.200.1.50";
  CHECK(login_from(api, home, right).status == 200);  // the owner's usual place

  for (int i = 0; i < 3; ++i)
    CHECK(login_from(api, "10.200.1.1", wrong).status == 401);
  auto locked = login_from(api, "10.200.1.1", right);
  CHECK(locked.status == 429);
  REQUIRE(locked.header("retry-after"));
  CHECK(std::stoi(*locked.header("retry-after")) > 50);
  // The owner, from another address, still gets in.
  CHECK(login_from(api, "10.200.1.9", right).status == 200);

  // Two more guesses from elsewhere spend the account's budget (5): new addresses are closed
  // now, even with the right password; the owner's usual places are not.
  CHECK(login_from(api, "10.200.1.2", wrong).status == 401);
  CHECK(login_from(api, "10.200.1.3", wrong).status == 401);
  CHECK(login_from(api, "10.200.1.77", right).status == 429);
  CHECK(login_from(api, home, right).status == 200);
  CHECK(login_from(api, "10.200.1.9", right).status == 200);

  std::set<std::string> scopes;
  CHECK(eventually([&] {
    for (const auto& e : outbox_of(api)) {
      if (e.at("type").as_string() == "auth.lockout")
        scopes.insert(std::string(e.at("data").as_object().at("scope").as_string()));
    }
    return scopes.size() == 2;
  }));
  CHECK(scopes == std::set<std::string>{"account", "source"});
}

TEST_CASE("an IPv6 client is limited by its /64 and not address by address") {
  api_fixture api([](kemas::config::settings& s) {
    s.auth.login_failure_limit = 3;
    s.auth.lockout_duration = 60s;
    s.ratelimit.auth_limit = 1000;
  });
  sign_up(api, "fred");
  for (const char* address : {"2001:db8:7:1::1", "2001:db8:7:1::2", "2001:db8:7:1:ffff::3"})
    CHECK(login_from(api, address, "wrong password").status == 401);
  CHECK(login_from(api, "2001:db8:7:1:abcd::9", "correct horse 1").status == 429);
  CHECK(login_from(api, "2001:db8:7:2::1", "correct horse 1").status == 200);
}

TEST_CASE("wrong current passwords count like failed logins") {
  // Finding 11 of issue 13: a stolen session could guess the password without limit.
  api_fixture api([](kemas::config::settings& s) {
    s.auth.login_failure_limit = 3;
    s.auth.lockout_duration = 60s;
  });
  const auto fred = sign_up(api, "fred");
  const auto change = [&](const std::string& current) {
    return api.call("POST", "/api/v1/auth/password",
                    json::serialize(json::object{{"current_password", current},
                                                 {"new_password", "battery staple 2"}}),
                    fred.auth);
  };
  for (int i = 0; i < 3; ++i)
    CHECK(change("guess number " + std::to_string(i)).status == 400);
  auto refused = change("correct horse 1");
  CHECK(refused.status == 429);
  CHECK(refused.header("retry-after"));
  // The password did not change (and the owner elsewhere still logs in with it).
  CHECK(login_from(api, "10.201.0.1", "correct horse 1").status == 200);
}

TEST_CASE("a wrong password for a real account answers without waiting for its audit write") {
  // Finding 15 of issue 13: the failure of a real account wrote an event before answering,
  // an unknown one did not, so the answer's timing told which names exist. With the outbox
  // table locked, that write cannot finish: the answer must come anyway, as for an unknown.
  api_fixture api([](kemas::config::settings& s) { s.ratelimit.auth_limit = 1000; });
  sign_up(api, "fred");
  soci::session blocker(soci::postgresql,
                        kemas::postgres::build_conninfo(api.database().settings(), "kemas-test"));
  soci::transaction tx(blocker);
  blocker << "LOCK TABLE outbox IN ACCESS EXCLUSIVE MODE";

  const auto timed = [&](const char* name) {
    const auto started = std::chrono::steady_clock::now();
    auto r = api.call("POST", "/api/v1/user/login",
                      json::serialize(json::object{{"username", name}, {"password", "nope nope 1"}}));
    CHECK(r.status == 401);
    return std::chrono::steady_clock::now() - started;
  };
  const auto unknown = timed("nobody_here");
  const auto known = timed("fred");
  CHECK(known < 2s);
  CHECK(unknown < 2s);
  tx.rollback();
  // Once the table is free the event is written after all.
  CHECK(eventually([&] {
    for (const auto& e : outbox_of(api)) {
      if (e.at("type").as_string() == "auth.login_failed")
        return true;
    }
    return false;
  }));
}

TEST_CASE("an API key's limit is charged only once its secret is right / bad keys are limited per address") {
  // Finding 8 of issue 13: the key's limit was charged by prefix before the secret was
  // checked, and unknown keys cost a lookup each without any limit.
  api_fixture api([](kemas::config::settings& s) {
    s.ratelimit.apikey_limit = 3;
    s.ratelimit.apikey_failure_limit = 5;
  });
  const auto kit = sign_up(api, "kit");
  auto created = api.call("POST", "/api/v1/auth/keys",
                          R"({"name":"ci","scopes":["files:read"],"expires_in_days":30})", kit.auth);
  REQUIRE(created.status == 201);
  const std::string key(parse(created).at("key").as_string());
  std::string wrong = key;
  wrong.back() = wrong.back() == 'A' ? 'B' : 'A';
  const auto from = [](const char* address) {
    return std::string("X-Forwarded-For: ") + address + "\r\n";
  };
  // The failed-key limit lives in the shared Redis per address: a fresh address per run.
  std::random_device random;
  const std::string attacker_address =
      "10.202." + std::to_string(random() % 256) + "." + std::to_string(random() % 256);
  const char* attacker = attacker_address.c_str();
  const auto read = [&](const std::string& k, const char* address) {
    return api.call("GET", "/api/v1/auth/files/list", {},
                    "Authorization: ApiKey " + k + "\r\n" + from(address));
  };
  // An attacker who knows the prefix: five wrong secrets, then refused before any lookup.
  for (int i = 0; i < 5; ++i)
    CHECK(read(wrong, attacker).status == 401);
  auto refused = read(wrong, attacker);
  CHECK(refused.status == 429);
  CHECK(refused.header("retry-after"));
  CHECK(read("kms_" + std::string(40, 'z'), attacker).status == 429);
  // The owner's key has not been spent by any of that: its three requests are all there.
  for (int i = 0; i < 3; ++i) {
    auto ok = read(key, "10.202.0.1");
    CHECK(ok.status == 200);
    CHECK(ok.header("ratelimit-remaining") == std::to_string(2 - i));
  }
  CHECK(read(key, "10.202.0.1").status == 429);
}

TEST_CASE("password hashing refuses work beyond its queue with 503 and Retry-After") {
  // Finding 12 of issue 13: the hashing queue was unbounded.
  api_fixture api([](kemas::config::settings& s) {
    s.auth.hash_threads = 1;
    s.auth.hash_queue = 1;
    s.auth.argon2_iterations = 40;  // slow hashes, so that the calls below overlap
    s.ratelimit.auth_limit = 1000;
  });
  std::vector<std::thread> clients;
  std::vector<raw_response> answers(6);
  for (std::size_t i = 0; i < answers.size(); ++i) {
    clients.emplace_back([&, i] {
      answers[i] = api.call(
          "POST", "/api/v1/user/login",
          json::serialize(json::object{{"username", "nobody" + std::to_string(i)},
                                       {"password", "whatever 123"}}),
          "X-Forwarded-For: 10.203.0." + std::to_string(i + 1) + "\r\n");
    });
  }
  for (auto& c : clients)
    c.join();
  int busy = 0;
  int checked = 0;
  for (const auto& a : answers) {
    if (a.status == 503) {
      ++busy;
      CHECK(a.header("retry-after"));
    } else {
      CHECK(a.status == 401);
      ++checked;
    }
  }
  CHECK(busy >= 1);
  CHECK(checked >= 2);  // one hashing, one waiting: both answered
}

TEST_CASE("a cookie session changes state only from its own or a listed origin with X-Requested-With") {
  // Finding 10 of issue 13: cookie mode relied on SameSite=Lax alone.
  api_fixture api([](kemas::config::settings& s) {
    s.cors.allowed_origins = {"https://app.example.com"};
  });
  const auto lea = sign_up(api, "lea");
  auto r = api.call("POST", "/api/v1/user/login",
                    R"({"email":"lea@example.com","password":"correct horse 1","cookies":true})");
  REQUIRE(r.status == 200);
  const std::string cookies = *r.header("set-cookie");
  const auto start = cookies.find("kemas_access=") + std::string("kemas_access=").size();
  const std::string cookie =
      "Cookie: kemas_access=" + cookies.substr(start, cookies.find(';', start) - start) + "\r\n";
  const std::string key = R"({"name":"ci","scopes":["files:read"],"expires_in_days":30})";
  const auto make_key = [&](const std::string& headers) {
    return api.call("POST", "/api/v1/auth/keys", key, cookie + headers).status;
  };
  const std::string marker = "X-Requested-With: XMLHttpRequest\r\n";
  CHECK(make_key("") == 403);
  CHECK(make_key(marker) == 403);  // no Origin
  CHECK(make_key("Origin: null\r\n" + marker) == 403);
  CHECK(make_key("Origin: https://evil.example\r\n" + marker) == 403);
  CHECK(make_key("Origin: https://app.example.com.evil.example\r\n" + marker) == 403);
  CHECK(make_key("Origin: https://app.example.com\r\n") == 403);  // a form cannot add the marker
  CHECK(make_key("Origin: https://app.example.com\r\n" + marker) == 201);
  CHECK(make_key("Origin: http://localhost\r\n" + marker) == 201);  // the API's own origin
  // What a plain HTML form on another site would send to the upload route.
  const std::string form_body =
      "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.txt\"\r\n\r\nhi\r\n--b--\r\n";
  auto form = http_request(api.port(), "POST", "/api/v1/auth/files/upload", form_body,
                           cookie + "Origin: https://evil.example\r\n"
                                    "Content-Type: multipart/form-data; boundary=b\r\n");
  CHECK(form.status == 403);
  // Reading needs neither, and a token in Authorization is not exposed to forgery at all.
  CHECK(api.call("GET", "/api/v1/auth/me", {}, cookie).status == 200);
  CHECK(api.call("POST", "/api/v1/auth/keys", key, lea.auth).status == 201);
}

TEST_CASE("a refresh token with the right session id and a made-up secret does not log anyone out") {
  // Finding 5 of issue 13: the session id is readable in every access token.
  api_fixture api([](kemas::config::settings& s) { s.ratelimit.auth_limit = 1000; });
  const auto ivo = sign_up(api, "ivo");
  const auto refresh = [&](const std::string& token) {
    return api.call("POST", "/api/v1/auth/refresh",
                    json::serialize(json::object{{"refresh_token", token}}));
  };
  const auto sid = ivo.refresh.substr(0, ivo.refresh.find('.'));
  auto forged = refresh(sid + "." + kemas::crypto::random_token());
  CHECK(forged.status == 401);
  CHECK(api.call("GET", "/api/v1/auth/me", {}, ivo.auth).status == 200);
  auto genuine = refresh(ivo.refresh);
  CHECK(genuine.status == 200);
  // The genuine old token, presented again, is reuse: that does end the session.
  CHECK(refresh(ivo.refresh).status == 401);
  CHECK(api.call("GET", "/api/v1/auth/me", {}, ivo.auth).status == 401);
}
