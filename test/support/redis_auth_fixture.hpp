#pragma once
// The fixture of the Redis auth tests (redis_auth_test, redis_login_guard_test): the request
// gate, sessions, login guard and reset tokens over the real Redis of scripts/services.sh,
// with short auth limits so that lockouts and expiries take milliseconds. Header-only.

#include "adapters/config/settings.hpp"
#include "adapters/redis/auth/login_guard.hpp"
#include "adapters/redis/auth/request_gate.hpp"
#include "adapters/redis/auth/reset_tokens.hpp"
#include "adapters/redis/auth/session_store.hpp"
#include "adapters/redis/client.hpp"
#include "adapters/support/random.hpp"
#include "test/support/redis_fixture.hpp"

#include <doctest/doctest.h>

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace kemas::test {

inline kemas::config::auth_settings test_auth() {
  kemas::config::auth_settings a;
  a.refresh_ttl = std::chrono::seconds(3600);
  a.login_failure_limit = 3;
  a.login_failure_window = std::chrono::seconds(60);
  a.lockout_duration = std::chrono::milliseconds(300);
  a.account_failure_limit = 5;
  a.account_failure_window = std::chrono::seconds(60);
  a.password_reset_ttl = std::chrono::milliseconds(300);
  return a;
}

struct redis_env {
  kemas::test::io_threads io{2};
  kemas::redis::redis_client redis{io.executor(), kemas::test::redis_settings_from_env()};
  kemas::config::auth_settings auth = test_auth();
  kemas::redis::request_gate gate{redis};
  kemas::redis::session_store sessions{redis, auth};
  kemas::redis::login_guard guard{redis, auth};
  kemas::redis::reset_tokens resets{redis, auth};

  template <class T>
  T run(boost::asio::awaitable<T> a) {
    return io.run(std::move(a), std::chrono::seconds(20));
  }

  kemas::redis::redis_reply cmd(std::vector<std::string> args) {
    auto r = io.run(redis.command(std::move(args)), std::chrono::seconds(20));
    REQUIRE_MESSAGE(r.has_value(), r.error().message());
    REQUIRE_MESSAGE(!r->is_error(), r->describe());
    return *r;
  }

  long long pttl(const std::string& key) { return cmd({"PTTL", key}).integer(); }
  bool exists(const std::string& key) { return cmd({"EXISTS", key}).integer() == 1; }

  long long server_ms() {
    const auto t = cmd({"TIME"});
    return std::stoll(t.elements()[0].str()) * 1000 + std::stoll(t.elements()[1].str()) / 1000;
  }
};

inline std::string fresh_id(std::string_view tag) {
  return std::string(tag) + "-" + kemas::support::random_hex(8);
}

// A 20-day window: no window boundary falls inside a test (one every 20 days).
constexpr std::chrono::milliseconds long_window = std::chrono::hours(24 * 20);

}  // namespace kemas::test
