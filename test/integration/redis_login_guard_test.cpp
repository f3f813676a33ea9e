// The login guard and password-reset tokens against the real Redis of scripts/services.sh:
// lockouts per source and per account, bounded memory, single-use hashed reset tokens that
// expire, and Redis down as a value. Every key is named from fresh random ids, so runs never
// collide; waits poll a condition with a deadline. The gate and sessions: redis_auth_test.

#include "adapters/crypto/tokens.hpp"
#include "domain/credentials.hpp"
#include "test/support/eventually.hpp"
#include "test/support/redis_auth_fixture.hpp"

#include <doctest/doctest.h>

#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

using kemas::test::eventually;

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using kemas::errc;
using kemas::uuid;
using kemas::redis::redis_client;
using kemas::test::fresh_id;
using kemas::test::redis_env;
using kemas::test::test_auth;

}  // namespace
TEST_CASE("login guard locks one source out after N failures and the lock expires") {
  using kemas::ports::login_failure_outcome;
  redis_env env;
  env.auth.account_failure_limit = 1000;  // this test is about one source's limit
  kemas::redis::login_guard guard{env.redis, env.auth};
  const std::string account = "u:" + fresh_id("login");
  const std::string attacker = "198.51.100.7";
  const std::string owner = "203.0.113.20";
  CHECK_FALSE(env.run(guard.blocked(account, attacker)).value().has_value());
  CHECK(env.run(guard.record_failure(account, attacker)).value() ==
        login_failure_outcome::counted);
  CHECK(env.run(guard.record_failure(account, attacker)).value() ==
        login_failure_outcome::counted);
  CHECK(env.run(guard.record_failure(account, attacker)).value() ==
        login_failure_outcome::source_locked);  // the 3rd locks this source
  const auto left = env.run(guard.blocked(account, attacker)).value();
  REQUIRE(left.has_value());
  CHECK(*left > 0ms);
  CHECK(*left <= 300ms);
  CHECK(env.run(guard.record_failure(account, attacker)).value() ==
        login_failure_outcome::not_counted);
  // The owner, elsewhere, is not locked out (finding 3 of issue 13).
  CHECK_FALSE(env.run(guard.blocked(account, owner)).value().has_value());

  CHECK(eventually(
      [&] { return !env.run(guard.blocked(account, attacker)).value().has_value(); }));
  // After the lock the source's count starts again from zero.
  CHECK(env.run(guard.record_failure(account, attacker)).value() ==
        login_failure_outcome::counted);
  CHECK(env.run(guard.record_failure(account, attacker)).value() ==
        login_failure_outcome::counted);
  CHECK(env.run(guard.record_failure(account, attacker)).value() ==
        login_failure_outcome::source_locked);
  REQUIRE(env.run(guard.clear(account)).has_value());
  CHECK_FALSE(env.run(guard.blocked(account, attacker)).value().has_value());
  CHECK_FALSE(env.exists("kemas:login:" + account));
}

TEST_CASE("login guard bounds an account's failures from all sources and spares known sources") {
  using kemas::ports::login_failure_outcome;
  redis_env env;  // 3 per source, 5 per account
  const std::string account = kemas::support::random_uuid().to_string();
  const std::string home = "203.0.113.20";
  REQUIRE(env.run(env.guard.record_success(account, home)).has_value());
  CHECK(env.cmd({"ZSCORE", "kemas:login-known:" + account, home}).is_string());
  CHECK(env.pttl("kemas:login-known:" + account) > 80LL * 24 * 3600 * 1000);

  // Five guesses from three places spend the account's budget.
  std::vector<login_failure_outcome> outcomes;
  for (const char* source : {"198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.1",
                             "198.51.100.2"}) {
    outcomes.push_back(env.run(env.guard.record_failure(account, source)).value());
  }
  CHECK(outcomes.back() == login_failure_outcome::account_limited);
  CHECK(std::count(outcomes.begin(), outcomes.end(), login_failure_outcome::counted) == 4);
  // A new source may not try now; the place the owner logs in from may.
  const auto wait = env.run(env.guard.blocked(account, "192.0.2.99")).value();
  REQUIRE(wait.has_value());
  CHECK(*wait > 50s);
  CHECK(*wait <= 60s);
  CHECK_FALSE(env.run(env.guard.blocked(account, home)).value().has_value());
  // ...and the sources that did not reach their own limit are closed too (not known).
  CHECK(env.run(env.guard.blocked(account, "198.51.100.3")).value().has_value());

  // A reset forgets everything, remembered sources included.
  REQUIRE(env.run(env.guard.clear(account)).has_value());
  CHECK_FALSE(env.run(env.guard.blocked(account, "192.0.2.99")).value().has_value());
  CHECK_FALSE(env.exists("kemas:login-known:" + account));
}

TEST_CASE("login guard keeps its memory bounded however many sources try") {
  using kemas::ports::login_failure_outcome;
  redis_env env;
  env.auth.account_failure_limit = 1'000'000;
  kemas::redis::login_guard guard{env.redis, env.auth};
  const std::string account = kemas::support::random_uuid().to_string();
  const unsigned sources = kemas::redis::login_guard::max_sources_tracked + 40;
  for (unsigned i = 0; i < sources; ++i) {
    const std::string source = "10.1." + std::to_string(i / 256) + "." + std::to_string(i % 256);
    REQUIRE(env.run(guard.record_failure(account, source)).has_value());
  }
  const auto fields = env.cmd({"HLEN", "kemas:login:" + account}).integer();
  CHECK(fields <= kemas::redis::login_guard::max_sources_tracked + 3);
  // The sources beyond the cap shared one bucket, which their failures have locked.
  CHECK(env.cmd({"HEXISTS", "kemas:login:" + account, "l:*"}).integer() == 1);
  CHECK(env.pttl("kemas:login:" + account) > 0);
}

TEST_CASE("login guard refuses empty or oversized names and sources without a Redis call") {
  redis_env env;
  CHECK(env.run(env.guard.blocked("", "1.2.3.4")).error().code == errc::validation_failed);
  CHECK(env.run(env.guard.blocked("u:x", "")).error().code == errc::validation_failed);
  CHECK(env.run(env.guard.record_failure(std::string(600, 'x'), "1.2.3.4")).error().code ==
        errc::validation_failed);
  CHECK(env.run(env.guard.record_success("u:x", std::string(200, '1'))).error().code ==
        errc::validation_failed);
}

TEST_CASE("reset tokens are single use and stored hashed") {
  redis_env env;
  const uuid user = kemas::support::random_uuid();
  const auto token = env.run(env.resets.issue(user)).value();
  CHECK(token.size() == 43);
  CHECK(kemas::is_base64url(token));
  const std::string key = "kemas:pwreset:" + kemas::crypto::sha256_hex(token);
  CHECK(env.cmd({"GET", key}).str() == user.to_string());
  CHECK(env.pttl(key) > 0);
  CHECK(env.pttl(key) <= 300);

  CHECK(env.run(env.resets.consume(token)).value() == user);
  CHECK_FALSE(env.run(env.resets.consume(token)).value().has_value());
  CHECK_FALSE(env.run(env.resets.consume(kemas::crypto::random_token())).value().has_value());
  CHECK_FALSE(env.run(env.resets.consume("short")).value().has_value());
  CHECK_FALSE(env.run(env.resets.consume(std::string(43, '+'))).value().has_value());
}

TEST_CASE("reset tokens expire") {
  redis_env env;
  const auto token = env.run(env.resets.issue(kemas::support::random_uuid())).value();
  const std::string key = "kemas:pwreset:" + kemas::crypto::sha256_hex(token);
  CHECK(eventually([&] { return !env.exists(key); }));
  CHECK_FALSE(env.run(env.resets.consume(token)).value().has_value());
}

TEST_CASE("redis down gives backend_unavailable values") {
  // A loopback port nobody listens on: bind one, then close it.
  unsigned short port = 0;
  {
    asio::io_context probe;
    asio::ip::tcp::acceptor acceptor(probe, {asio::ip::make_address("127.0.0.1"), 0});
    port = acceptor.local_endpoint().port();
  }
  kemas::test::io_threads io(1);
  auto settings = kemas::test::redis_settings_from_env();
  settings.host = "127.0.0.1";
  settings.port = port;
  settings.timeout = 2s;
  redis_client dead(io.executor(), settings);
  const auto auth = test_auth();
  kemas::redis::request_gate gate(dead);
  kemas::redis::session_store sessions(dead, auth);
  kemas::redis::login_guard guard(dead, auth);
  kemas::redis::reset_tokens resets(dead, auth);

  const auto hit = io.run(gate.hit({"auth", "127.0.0.1", 5, 60s}));
  REQUIRE_FALSE(hit.has_value());
  CHECK(hit.error().code == errc::backend_unavailable);
  CHECK(hit.error().message == "redis is unavailable");
  CHECK(
      io.run(sessions.create(kemas::support::random_uuid(), kemas::role::user, "")).error().code ==
      errc::backend_unavailable);
  CHECK(io.run(sessions.rotate(kemas::format_refresh_token(kemas::support::random_hex(16),
                                                           kemas::crypto::random_token())))
            .error()
            .code == errc::backend_unavailable);
  CHECK(io.run(guard.blocked("u:x", "1.2.3.4")).error().code == errc::backend_unavailable);
  CHECK(io.run(guard.record_failure("u:x", "1.2.3.4")).error().code ==
        errc::backend_unavailable);
  CHECK(io.run(guard.record_success("u:x", "1.2.3.4")).error().code ==
        errc::backend_unavailable);
  CHECK(io.run(resets.issue(kemas::support::random_uuid())).error().code ==
        errc::backend_unavailable);
  // Malformed input is answered without Redis, so even now.
  CHECK_FALSE(io.run(resets.consume("bad")).value().has_value());
}
