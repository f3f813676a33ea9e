#include "adapters/redis/auth/login_guard.hpp"

#include <algorithm>
#include <string_view>
#include <utility>
#include <vector>

#include "adapters/redis/auth/replies.hpp"
#include "adapters/redis/client.hpp"

namespace kemas::redis {

namespace {

// KEYS[1] failures, KEYS[2] lock. ARGV limit, window_ms, lockout_ms. Returns 1 if locked now.
// The window is set when the counter has none (first failure, or a counter left without a
// TTL by anything else), so the count can never live forever.
constexpr std::string_view failure_lua = R"lua(
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
local n = redis.call('INCR', KEYS[1])
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if n >= tonumber(ARGV[1]) then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
)lua";

const redis_script& failure_script() {
  static const redis_script s{std::string(failure_lua)};
  return s;
}

std::optional<kemas::error> invalid_account(const std::string& account) {
  if (account.empty() || account.size() > 512) {
    return make_error(errc::validation_failed, "login name is empty or too long", "login");
  }
  return std::nullopt;
}

std::string failures_key(const std::string& account) {
  return "kemas:login-fail:" + account;
}
std::string lock_key(const std::string& account) {
  return "kemas:login-lock:" + account;
}

}  // namespace

login_guard::login_guard(redis_client& redis, const config::auth_settings& auth)
    : redis_(redis),
      limit_(std::max(auth.login_failure_limit, 1u)),
      window_(std::max(auth.login_failure_window, std::chrono::milliseconds(1))),
      lockout_(std::max(auth.lockout_duration, std::chrono::milliseconds(1))) {}

boost::asio::awaitable<result<std::optional<std::chrono::milliseconds>>> login_guard::locked(
    std::string account) {
  if (auto e = invalid_account(account))
    co_return *e;
  std::vector<std::string> command{"PTTL", lock_key(account)};
  const redis_result r = co_await redis_.command(std::move(command));
  const auto checked_pttl = detail::checked_integer(r, "login_guard.locked");
  if (!checked_pttl)
    co_return checked_pttl.error();
  const long long pttl = *checked_pttl;
  if (pttl == -2 || pttl == 0)
    co_return std::nullopt;  // no lock (or it ends right now)
  // -1: a lock without TTL is never written by us; treat it as a fresh lock, not as "open".
  co_return pttl > 0 ? std::chrono::milliseconds(pttl) : lockout_;
}

boost::asio::awaitable<result<bool>> login_guard::record_failure(std::string account) {
  if (auto e = invalid_account(account))
    co_return *e;
  std::vector<std::string> keys{failures_key(account), lock_key(account)};
  std::vector<std::string> args{std::to_string(limit_), std::to_string(window_.count()),
                                std::to_string(lockout_.count())};
  const redis_result r = co_await redis_.eval(failure_script(), std::move(keys), std::move(args));
  const auto locked_now = detail::checked_integer(r, "login_guard.record_failure");
  if (!locked_now)
    co_return locked_now.error();
  co_return *locked_now == 1;
}

boost::asio::awaitable<result<void>> login_guard::clear(std::string account) {
  if (auto e = invalid_account(account))
    co_return *e;
  std::vector<std::string> command{"DEL", failures_key(account), lock_key(account)};
  const redis_result r = co_await redis_.command(std::move(command));
  auto reply = detail::checked(r, "login_guard.clear");
  if (!reply)
    co_return reply.error();
  co_return result<void>{};
}

}  // namespace kemas::redis
