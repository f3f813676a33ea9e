#include "adapters/redis/auth/login_guard.hpp"

#include <algorithm>
#include <string_view>
#include <utility>
#include <vector>

#include "adapters/redis/auth/replies.hpp"
#include "adapters/redis/client.hpp"

namespace kemas::redis {

namespace {

// Shared head of the scripts: the time, and which bucket a source counts in. A source that
// is remembered, or already has a field, keeps its own; a new one gets its own while the
// hash has room (stale fields are pruned first when it is full), else the shared "*".
// KEYS[1] hash, KEYS[2] known set; ARGV[1] source, ARGV[2] max sources.
constexpr std::string_view prelude_lua = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function parse(v)
  if not v then return 0, 0 end
  local n, start = string.match(v, '^(%d+):(%d+)$')
  if not n then return 0, 0 end
  return tonumber(n), tonumber(start)
end
local src = ARGV[1]
local known = redis.call('ZSCORE', KEYS[2], src)
local function bucket(windows)
  if known or redis.call('HEXISTS', KEYS[1], 'f:' .. src) == 1 or
     redis.call('HEXISTS', KEYS[1], 'l:' .. src) == 1 then return src end
  local room = tonumber(ARGV[2]) + 1
  if redis.call('HLEN', KEYS[1]) < room then return src end
  if windows then
    local all = redis.call('HGETALL', KEYS[1])
    for i = 1, #all, 2 do
      local field, value = all[i], all[i + 1]
      local kind = string.sub(field, 1, 2)
      if kind == 'l:' and tonumber(value) <= now then redis.call('HDEL', KEYS[1], field) end
      if kind == 'f:' then
        local _, start = parse(value)
        if start + windows <= now then redis.call('HDEL', KEYS[1], field) end
      end
    end
    if redis.call('HLEN', KEYS[1]) < room then return src end
  end
  return '*'
end
)lua";

// ARGV[3] account limit, ARGV[4] account window ms. Returns ms to wait, 0 when open.
constexpr std::string_view blocked_lua = R"lua(
local b = bucket(nil)
local lock = tonumber(redis.call('HGET', KEYS[1], 'l:' .. b) or '0')
if lock > now then return lock - now end
if not known then
  local n, start = parse(redis.call('HGET', KEYS[1], 'a'))
  local ends = start + tonumber(ARGV[4])
  if n >= tonumber(ARGV[3]) and ends > now then return ends - now end
end
return 0
)lua";

// ARGV[3] limit, ARGV[4] window ms, ARGV[5] lockout ms, ARGV[6] account limit,
// ARGV[7] account window ms. Returns 0 counted, 1 source locked now, 2 account budget spent
// now, 3 not counted (already locked).
constexpr std::string_view failure_lua = R"lua(
local window, account_window = tonumber(ARGV[4]), tonumber(ARGV[7])
local b = bucket(window)
local lock = tonumber(redis.call('HGET', KEYS[1], 'l:' .. b) or '0')
if lock > now then return 3 end
local function bump(field, span)
  local n, start = parse(redis.call('HGET', KEYS[1], field))
  if start + span <= now then n, start = 0, now end
  n = n + 1
  redis.call('HSET', KEYS[1], field, string.format('%d:%d', n, start))
  return n
end
local outcome = 0
if bump('a', account_window) == tonumber(ARGV[6]) then outcome = 2 end
if bump('f:' .. b, window) >= tonumber(ARGV[3]) then
  redis.call('HSET', KEYS[1], 'l:' .. b, string.format('%d', now + tonumber(ARGV[5])))
  redis.call('HDEL', KEYS[1], 'f:' .. b)
  outcome = 1
end
redis.call('PEXPIRE', KEYS[1], math.max(window, tonumber(ARGV[5]), account_window))
return outcome
)lua";

// ARGV[3] sources kept, ARGV[4] their ttl ms.
constexpr std::string_view success_lua = R"lua(
redis.call('HDEL', KEYS[1], 'f:' .. src, 'l:' .. src)
redis.call('ZADD', KEYS[2], now, src)
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -(tonumber(ARGV[3]) + 1))
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return 1
)lua";

struct guard_scripts {
  redis_script blocked{std::string(prelude_lua) + std::string(blocked_lua)};
  redis_script failure{std::string(prelude_lua) + std::string(failure_lua)};
  redis_script success{std::string(prelude_lua) + std::string(success_lua)};
};
const guard_scripts& scripts() {
  static const guard_scripts made;
  return made;
}

std::optional<kemas::error> invalid(const std::string& account, const std::string& source) {
  if (account.empty() || account.size() > 512 || source.empty() || source.size() > 128) {
    return make_error(errc::validation_failed, "login name is empty or too long", "login");
  }
  return std::nullopt;
}

std::vector<std::string> keys_of(const std::string& account) {
  return {"kemas:login:" + account, "kemas:login-known:" + account};
}

}  // namespace

login_guard::login_guard(redis_client& redis, const config::auth_settings& auth)
    : redis_(redis),
      limit_(std::max(auth.login_failure_limit, 1u)),
      window_(std::max(auth.login_failure_window, std::chrono::milliseconds(1))),
      lockout_(std::max(auth.lockout_duration, std::chrono::milliseconds(1))),
      account_limit_(std::max(auth.account_failure_limit, 1u)),
      account_window_(std::max(auth.account_failure_window, std::chrono::milliseconds(1))) {}

boost::asio::awaitable<result<std::optional<std::chrono::milliseconds>>> login_guard::blocked(
    std::string account, std::string source) {
  if (auto e = invalid(account, source))
    co_return *e;
  std::vector<std::string> args{std::move(source), std::to_string(max_sources_tracked),
                                std::to_string(account_limit_),
                                std::to_string(account_window_.count())};
  const redis_result r = co_await redis_.eval(scripts().blocked, keys_of(account), std::move(args));
  const auto wait = detail::checked_integer(r, "login_guard.blocked");
  if (!wait)
    co_return wait.error();
  if (*wait <= 0)
    co_return std::nullopt;
  co_return std::chrono::milliseconds(*wait);
}

boost::asio::awaitable<result<ports::login_failure_outcome>> login_guard::record_failure(
    std::string account, std::string source) {
  using ports::login_failure_outcome;
  if (auto e = invalid(account, source))
    co_return *e;
  std::vector<std::string> args{std::move(source),
                                std::to_string(max_sources_tracked),
                                std::to_string(limit_),
                                std::to_string(window_.count()),
                                std::to_string(lockout_.count()),
                                std::to_string(account_limit_),
                                std::to_string(account_window_.count())};
  const redis_result r = co_await redis_.eval(scripts().failure, keys_of(account), std::move(args));
  const auto outcome = detail::checked_integer(r, "login_guard.record_failure");
  if (!outcome)
    co_return outcome.error();
  switch (*outcome) {
    case 0:
      co_return login_failure_outcome::counted;
    case 1:
      co_return login_failure_outcome::source_locked;
    case 2:
      co_return login_failure_outcome::account_limited;
    case 3:
      co_return login_failure_outcome::not_counted;
    default:
      co_return make_error(errc::internal, "login_guard.record_failure: unexpected reply");
  }
}

boost::asio::awaitable<result<void>> login_guard::record_success(std::string account,
                                                                 std::string source) {
  if (auto e = invalid(account, source))
    co_return *e;
  std::vector<std::string> args{std::move(source), std::to_string(max_sources_tracked),
                                std::to_string(known_sources_kept),
                                std::to_string(known_source_ttl.count())};
  const redis_result r = co_await redis_.eval(scripts().success, keys_of(account), std::move(args));
  auto reply = detail::checked(r, "login_guard.record_success");
  if (!reply)
    co_return reply.error();
  co_return result<void>{};
}

boost::asio::awaitable<result<void>> login_guard::clear(std::string account) {
  if (account.empty() || account.size() > 512)
    co_return make_error(errc::validation_failed, "login name is empty or too long", "login");
  auto keys = keys_of(account);
  std::vector<std::string> command{"DEL", std::move(keys[0]), std::move(keys[1])};
  const redis_result r = co_await redis_.command(std::move(command));
  auto reply = detail::checked(r, "login_guard.clear");
  if (!reply)
    co_return reply.error();
  co_return result<void>{};
}

}  // namespace kemas::redis
