// Redis-side auth state against the real Redis of scripts/services.sh: the request gate
// (sliding-window limit + session check in one script), sessions with refresh rotation and
// reuse detection. The login guard and password-reset tokens: redis_login_guard_test. Every key is named from fresh
// random ids, so runs never collide; waits poll a condition with a deadline.

#include "adapters/crypto/tokens.hpp"
#include "adapters/redis/auth/login_guard.hpp"
#include "adapters/redis/auth/request_gate.hpp"
#include "app/auth/rate_classes.hpp"
#include "adapters/redis/auth/reset_tokens.hpp"
#include "adapters/redis/auth/session_store.hpp"
#include "adapters/redis/client.hpp"
#include "adapters/support/random.hpp"
#include "domain/credentials.hpp"
#include "domain/rate_limit.hpp"
#include "test/support/redis_auth_fixture.hpp"

#include <doctest/doctest.h>

#include "test/support/eventually.hpp"

#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

using kemas::test::eventually;

namespace {

using namespace std::chrono_literals;
using kemas::errc;
using kemas::uuid;
using kemas::redis::limit_spec;
using kemas::test::fresh_id;
using kemas::test::long_window;
using kemas::test::redis_env;

}  // namespace

TEST_CASE("gate allows exactly limit requests and refuses limit + 1") {
  redis_env env;
  const limit_spec spec{"auth", fresh_id("ip"), 5, long_window};
  for (std::uint32_t i = 0; i < 5; ++i) {
    const auto d = env.run(env.gate.hit(spec));
    REQUIRE_MESSAGE(d.has_value(), d.error().message);
    CHECK(d->allowed);
    CHECK(d->limit == 5);
    CHECK(d->remaining == 4 - i);
    CHECK(d->retry_after_ms == 0);
  }
  const auto refused = env.run(env.gate.hit(spec));
  REQUIRE(refused.has_value());
  CHECK_FALSE(refused->allowed);
  CHECK(refused->remaining == 0);
  CHECK(refused->reset_after_ms >= 1);
  CHECK(refused->reset_after_ms <= long_window.count());
  // The current window alone is full: wait until it has turned into the previous window.
  CHECK(refused->retry_after_ms == refused->reset_after_ms + 1);
  // A refused request is not counted; another key is not affected.
  const auto again = env.run(env.gate.check(std::nullopt, spec));
  REQUIRE(again.has_value());
  CHECK(again->counts.current == 5);
  const limit_spec other{"auth", fresh_id("ip"), 5, long_window};
  CHECK(env.run(env.gate.hit(other))->allowed);
}

TEST_CASE("gate with a one-minute window gives sane headers and expiring counters") {
  redis_env env;
  const limit_spec spec{"general", fresh_id("user"), 2, 60s};
  REQUIRE(env.run(env.gate.hit(spec))->allowed);
  REQUIRE(env.run(env.gate.hit(spec))->allowed);
  const auto refused = env.run(env.gate.check(std::nullopt, spec));
  REQUIRE(refused.has_value());
  if (refused->counts.current == 2) {  // else the window just turned over: nothing to assert
    CHECK_FALSE(refused->limit.allowed);
    CHECK(refused->limit.retry_after_ms >= 1);
    CHECK(refused->limit.retry_after_ms <= 60'001);
  }
  CHECK(refused->limit.reset_after_ms >= 1);
  CHECK(refused->limit.reset_after_ms <= 60'000);
  // The counter of the current window expires two windows after its first increment.
  const long long now = env.server_ms();
  const std::string key = "kemas:rl:general:" + spec.id + ":" + std::to_string(now / 60'000);
  if (env.exists(key)) {
    CHECK(env.pttl(key) > 0);
    CHECK(env.pttl(key) <= 120'000);
  }
}

TEST_CASE("only the increment that creates a counter sets its expiry") {
  redis_env env;
  const limit_spec spec{"general", fresh_id("user"), 100, 3600s};
  const long long index = env.server_ms() / 3'600'000;
  REQUIRE(env.run(env.gate.hit(spec))->allowed);
  const std::string key = "kemas:rl:general:" + spec.id + ":" + std::to_string(index);
  if (!env.exists(key))
    return;  // the hour turned over between the two reads: nothing to assert
  CHECK(env.pttl(key) > 7'000'000);
  CHECK(env.pttl(key) <= 7'200'000);
  env.cmd({"PEXPIRE", key, "50000"});
  REQUIRE(env.run(env.gate.hit(spec))->allowed);
  CHECK(env.pttl(key) > 0);
  CHECK(env.pttl(key) <= 50'000);  // the second increment left the expiry alone
}

TEST_CASE("gate checks the session in the same call") {
  redis_env env;
  const uuid user = kemas::support::random_uuid();
  const auto created = env.run(env.sessions.create(user, kemas::role::developer, "192.0.2.7"));
  REQUIRE_MESSAGE(created.has_value(), created.error().message);
  const limit_spec spec = kemas::app::limit_for("general", user.to_string(), {});
  CHECK(spec.limit == 100);
  CHECK(spec.window == 60s);

  const auto with = env.run(env.gate.check(created->session_id, spec));
  REQUIRE(with.has_value());
  REQUIRE(with->session.has_value());
  CHECK(with->session->user_id == user);
  CHECK(with->session->role == kemas::role::developer);
  CHECK(with->limit.allowed);

  // Missing and malformed sessions: no session, but the limit still applies and counts.
  const auto missing = env.run(env.gate.check(kemas::support::random_hex(16), spec));
  REQUIRE(missing.has_value());
  CHECK_FALSE(missing->session.has_value());
  CHECK(missing->limit.allowed);
  const auto malformed = env.run(env.gate.check(std::string("not-a-session"), spec));
  REQUIRE(malformed.has_value());
  CHECK_FALSE(malformed->session.has_value());
  const auto none = env.run(env.gate.check(std::nullopt, spec));
  REQUIRE(none.has_value());
  CHECK_FALSE(none->session.has_value());

  // Revocation is seen by the very next check.
  REQUIRE(env.run(env.sessions.revoke(created->session_id)).value());
  const auto after = env.run(env.gate.check(created->session_id, spec));
  REQUIRE(after.has_value());
  CHECK_FALSE(after->session.has_value());
}

TEST_CASE("gate refuses an invalid limit spec") {
  redis_env env;
  CHECK(env.run(env.gate.hit({"auth", "", 5, 60s})).error().code == errc::internal);
  CHECK(env.run(env.gate.hit({"Auth", "x", 5, 60s})).error().code == errc::internal);
  CHECK(env.run(env.gate.hit({"auth", "a b", 5, 60s})).error().code == errc::internal);
  CHECK(env.run(env.gate.hit({"auth", "x", 0, 60s})).error().code == errc::internal);
  CHECK(env.run(env.gate.hit({"auth", "x", 5, 0ms})).error().code == errc::internal);
  CHECK(env.run(env.gate.hit(kemas::app::limit_for("nope", "x", {}))).error().code ==
        errc::internal);
}

TEST_CASE("the script decides exactly as domain decide for scripted sequences") {
  redis_env env;
  struct sequence {
    std::uint64_t previous, current;
    std::uint32_t limit;
    int hits;
  };
  const sequence sequences[] = {{0, 0, 3, 5},  {40, 0, 20, 25},   {7, 2, 10, 12},
                                {0, 9, 10, 3}, {1'000, 0, 10, 4}, {5, 5, 5, 2}};
  for (const auto& s : sequences) {
    const limit_spec spec{"general", fresh_id("seq"), s.limit, long_window};
    const std::string prefix = "kemas:rl:general:" + spec.id + ":";
    const long long index = env.server_ms() / long_window.count();
    env.cmd({"SET", prefix + std::to_string(index - 1), std::to_string(s.previous), "PX", "60000"});
    env.cmd({"SET", prefix + std::to_string(index), std::to_string(s.current), "PX", "60000"});
    std::uint64_t expected_current = s.current;
    for (int i = 0; i < s.hits; ++i) {
      const auto a = env.run(env.gate.check(std::nullopt, spec));
      REQUIRE(a.has_value());
      INFO("previous=" << a->counts.previous << " current=" << a->counts.current
                       << " elapsed=" << a->counts.elapsed_ms << " limit=" << s.limit);
      CHECK(a->counts.window_ms == long_window.count());
      CHECK(a->counts.previous == s.previous);
      CHECK(a->counts.current == expected_current);
      CHECK(a->limit == kemas::decide(a->counts, s.limit));
      if (a->limit.allowed)
        ++expected_current;
    }
  }
  // A short window over several turnovers: every answer matches decide() on what it read.
  // Calls run back to back until three windows have begun (elapsed_ms fell), so time moves
  // with the calls themselves; the deadline only bounds a broken clock.
  const limit_spec fast{"apikey", fresh_id("key"), 4, 40ms};
  int allowed = 0;
  int refused = 0;
  int turnovers = 0;
  std::int64_t last_elapsed = -1;
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (turnovers < 3 && std::chrono::steady_clock::now() < deadline) {
    const auto a = env.run(env.gate.check(std::nullopt, fast));
    REQUIRE(a.has_value());
    INFO("previous=" << a->counts.previous << " current=" << a->counts.current
                     << " elapsed=" << a->counts.elapsed_ms);
    CHECK(a->limit == kemas::decide(a->counts, 4));
    (a->limit.allowed ? allowed : refused) += 1;
    if (a->counts.elapsed_ms < last_elapsed)
      ++turnovers;
    last_elapsed = a->counts.elapsed_ms;
  }
  CHECK(turnovers == 3);
  CHECK(allowed > 0);
  CHECK(refused > 0);
}

TEST_CASE("sessions are stored with only a hash of the refresh secret") {
  redis_env env;
  const uuid user = kemas::support::random_uuid();
  const auto s = env.run(env.sessions.create(user, kemas::role::user, "203.0.113.9")).value();
  CHECK(s.session_id.size() == 32);
  const auto parts = kemas::parse_refresh_token(s.refresh_token);
  REQUIRE(parts.has_value());
  CHECK(parts->session_id == s.session_id);
  const std::string key = "kemas:session:" + s.session_id;
  CHECK(env.cmd({"HGET", key, "uid"}).str() == user.to_string());
  CHECK(env.cmd({"HGET", key, "role"}).str() == "user");
  CHECK(env.cmd({"HGET", key, "ip"}).str() == "203.0.113.9");
  CHECK(env.cmd({"HGET", key, "rh"}).str() == kemas::crypto::sha256_hex(parts->secret));
  CHECK(std::stoll(env.cmd({"HGET", key, "created_ms"}).str()) > 1'600'000'000'000LL);
  CHECK(env.pttl(key) > 3'500'000);
  CHECK(env.pttl(key) <= 3'600'000);
  CHECK(env.cmd({"SISMEMBER", "kemas:user-sessions:" + user.to_string(), s.session_id}).integer() ==
        1);
  CHECK(env.run(env.sessions.exists(s.session_id)).value());
  CHECK_FALSE(env.run(env.sessions.exists(kemas::support::random_hex(16))).value());
  CHECK_FALSE(env.run(env.sessions.exists("../etc")).value());
}

TEST_CASE("refresh rotation and reuse detection") {
  redis_env env;
  const uuid user = kemas::support::random_uuid();
  const auto s = env.run(env.sessions.create(user, kemas::role::admin, "")).value();
  const std::string key = "kemas:session:" + s.session_id;
  env.cmd({"PEXPIRE", key, "1000000"});  // rotation must restore the full TTL

  const auto first = env.run(env.sessions.rotate(s.refresh_token));
  REQUIRE(first.has_value());
  REQUIRE(std::holds_alternative<kemas::redis::session_rotated>(*first));
  const auto rotated = std::get<kemas::redis::session_rotated>(*first);
  CHECK(rotated.session_id == s.session_id);
  CHECK(rotated.user_id == user);
  CHECK(rotated.role == kemas::role::admin);
  CHECK(rotated.refresh_token != s.refresh_token);
  CHECK(kemas::parse_refresh_token(rotated.refresh_token)->session_id == s.session_id);
  CHECK(env.pttl(key) > 3'500'000);

  // The new token rotates again.
  const auto second = env.run(env.sessions.rotate(rotated.refresh_token));
  REQUIRE(std::holds_alternative<kemas::redis::session_rotated>(second.value()));
  const auto newest = std::get<kemas::redis::session_rotated>(*second).refresh_token;

  // Presenting the first (already rotated) token again: reuse, the session is gone.
  const auto reused = env.run(env.sessions.rotate(s.refresh_token));
  REQUIRE(reused.has_value());
  REQUIRE(std::holds_alternative<kemas::redis::refresh_reused>(*reused));
  CHECK(std::get<kemas::redis::refresh_reused>(*reused).user_id == user);
  CHECK(std::get<kemas::redis::refresh_reused>(*reused).session_id == s.session_id);
  CHECK_FALSE(env.run(env.sessions.exists(s.session_id)).value());
  CHECK(env.cmd({"SISMEMBER", "kemas:user-sessions:" + user.to_string(), s.session_id}).integer() ==
        0);
  // Even the latest token is dead now.
  CHECK(std::holds_alternative<kemas::redis::refresh_unknown>(
      env.run(env.sessions.rotate(newest)).value()));
}

TEST_CASE("unknown and malformed refresh tokens") {
  redis_env env;
  const std::string unknown =
      kemas::format_refresh_token(kemas::support::random_hex(16), kemas::crypto::random_token());
  CHECK(std::holds_alternative<kemas::redis::refresh_unknown>(
      env.run(env.sessions.rotate(unknown)).value()));
  const std::vector<std::string> bad_tokens{
      "", "abc", "x.y", std::string(76, 'a'),
      kemas::support::random_hex(16) + "." + std::string(43, '*')};
  for (const auto& bad : bad_tokens) {
    CHECK(std::holds_alternative<kemas::redis::refresh_unknown>(
        env.run(env.sessions.rotate(bad)).value()));
  }
}

TEST_CASE("a made-up secret for a live session is invalid and does not end the session") {
  // Finding 5 of issue 13: the session id is readable in every access token, so a request
  // with that id and any secret must not count as reuse and log the owner out.
  redis_env env;
  const uuid user = kemas::support::random_uuid();
  const auto s = env.run(env.sessions.create(user, kemas::role::user, "")).value();
  const std::string forged = kemas::format_refresh_token(s.session_id, kemas::crypto::random_token());
  CHECK(std::holds_alternative<kemas::redis::refresh_unknown>(
      env.run(env.sessions.rotate(forged)).value()));
  CHECK(env.run(env.sessions.exists(s.session_id)).value());
  // The genuine token still rotates, and the rotated-away one is still recognised as reuse
  // after several more rotations.
  auto current = s.refresh_token;
  for (int i = 0; i < 5; ++i) {
    auto next = env.run(env.sessions.rotate(current)).value();
    REQUIRE(std::holds_alternative<kemas::redis::session_rotated>(next));
    current = std::get<kemas::redis::session_rotated>(next).refresh_token;
  }
  CHECK(std::holds_alternative<kemas::redis::refresh_unknown>(
      env.run(env.sessions.rotate(forged)).value()));
  CHECK(std::holds_alternative<kemas::redis::refresh_reused>(
      env.run(env.sessions.rotate(s.refresh_token)).value()));
  CHECK_FALSE(env.run(env.sessions.exists(s.session_id)).value());
}

TEST_CASE("a session ends at its absolute lifetime however often it is refreshed") {
  redis_env env;
  auto auth = env.auth;
  auth.session_max_lifetime = 1s;  // the store's floor
  kemas::redis::session_store short_lived{env.redis, auth};
  const uuid user = kemas::support::random_uuid();
  const auto s = env.run(short_lived.create(user, kemas::role::user, "")).value();
  CHECK(env.pttl("kemas:session:" + s.session_id) <= 1000);
  auto current = s.refresh_token;
  const auto started = std::chrono::steady_clock::now();
  // Refresh as an active client would until the session refuses: at its lifetime, not later.
  const bool ended = eventually([&] {
    auto next = env.run(short_lived.rotate(current)).value();
    if (std::holds_alternative<kemas::redis::refresh_unknown>(next))
      return true;
    REQUIRE(std::holds_alternative<kemas::redis::session_rotated>(next));
    current = std::get<kemas::redis::session_rotated>(next).refresh_token;
    return false;
  });
  CHECK(ended);
  CHECK(std::chrono::steady_clock::now() - started < 1500ms);
  CHECK_FALSE(env.run(short_lived.exists(s.session_id)).value());
}

TEST_CASE("a login beyond sessions_per_user ends the least recently used session") {
  redis_env env;
  auto auth = env.auth;
  auth.sessions_per_user = 3;
  kemas::redis::session_store capped{env.redis, auth};
  const uuid user = kemas::support::random_uuid();
  std::vector<kemas::ports::new_session> made;
  for (int i = 0; i < 3; ++i) {
    made.push_back(env.run(capped.create(user, kemas::role::user, "")).value());
    CHECK(made.back().sessions_ended == 0);
    // Distinct last-seen times, oldest first, without waiting for the clock.
    env.cmd({"HSET", "kemas:session:" + made.back().session_id, "seen_ms", std::to_string(1000 + i)});
  }
  // The oldest is used again, so the second is now the least recently used.
  REQUIRE(std::holds_alternative<kemas::redis::session_rotated>(
      env.run(capped.rotate(made[0].refresh_token)).value()));
  const auto fourth = env.run(capped.create(user, kemas::role::user, "")).value();
  CHECK(fourth.sessions_ended == 1);
  CHECK(env.run(capped.exists(made[0].session_id)).value());
  CHECK_FALSE(env.run(capped.exists(made[1].session_id)).value());
  CHECK(env.run(capped.exists(made[2].session_id)).value());
  CHECK(env.run(capped.list(user)).value().size() == 3);
  CHECK(env.cmd({"SCARD", "kemas:user-sessions:" + user.to_string()}).integer() == 3);
  CHECK(env.run(capped.revoke_all(user)).value() == 3);
}

TEST_CASE("revoke_all removes every session of the user and only the user's") {
  redis_env env;
  const uuid alice = kemas::support::random_uuid();
  const uuid bob = kemas::support::random_uuid();
  std::vector<std::string> alices;
  for (int i = 0; i < 3; ++i) {
    alices.push_back(env.run(env.sessions.create(alice, kemas::role::user, "")).value().session_id);
  }
  const auto bobs = env.run(env.sessions.create(bob, kemas::role::user, "")).value().session_id;

  CHECK(env.run(env.sessions.revoke_all(alice)).value() == 3);
  for (const auto& sid : alices)
    CHECK_FALSE(env.run(env.sessions.exists(sid)).value());
  CHECK_FALSE(env.exists("kemas:user-sessions:" + alice.to_string()));
  CHECK(env.run(env.sessions.exists(bobs)).value());
  CHECK(env.run(env.sessions.revoke_all(alice)).value() == 0);

  // revoke_all_except keeps the one session (a password change from that session).
  const auto keep = env.run(env.sessions.create(bob, kemas::role::user, "")).value().session_id;
  const auto other = env.run(env.sessions.create(bob, kemas::role::user, "")).value().session_id;
  CHECK(env.run(env.sessions.revoke_all_except(bob, keep)).value() == 2);
  CHECK(env.run(env.sessions.exists(keep)).value());
  CHECK_FALSE(env.run(env.sessions.exists(other)).value());
  CHECK_FALSE(env.run(env.sessions.exists(bobs)).value());

  // revoke: once true, then false; malformed ids are simply not there.
  CHECK(env.run(env.sessions.revoke(keep)).value());
  CHECK_FALSE(env.run(env.sessions.revoke(keep)).value());
  CHECK_FALSE(env.run(env.sessions.revoke("nope")).value());
  CHECK_FALSE(env.exists("kemas:user-sessions:" + bob.to_string()));
}

TEST_CASE("create forgets sessions that expired on their own") {
  redis_env env;
  const uuid user = kemas::support::random_uuid();
  const auto old = env.run(env.sessions.create(user, kemas::role::user, "")).value().session_id;
  env.cmd({"DEL", "kemas:session:" + old});  // as if its TTL ran out
  const auto fresh = env.run(env.sessions.create(user, kemas::role::user, "")).value().session_id;
  const std::string set = "kemas:user-sessions:" + user.to_string();
  CHECK(env.cmd({"SCARD", set}).integer() == 1);
  CHECK(env.cmd({"SISMEMBER", set, fresh}).integer() == 1);
  CHECK(env.pttl(set) > 3'500'000);
  CHECK(env.run(env.sessions.revoke_all(user)).value() == 1);
}
