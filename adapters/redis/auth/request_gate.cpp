#include "adapters/redis/auth/request_gate.hpp"

#include <algorithm>
#include <utility>
#include <vector>

#include "adapters/redis/auth/replies.hpp"
#include "adapters/redis/client.hpp"
#include "domain/credentials.hpp"

namespace kemas::redis {

namespace {

// KEYS[1] counter prefix kemas:rl:{cls}:{id}; KEYS[2] (optional) the session hash.
// ARGV[1] limit, ARGV[2] window in ms, ARGV[3] "0" to decide without counting (peek).
// Returns {allowed, remaining, reset_after_ms, retry_after_ms, previous, current,
//          elapsed_ms, session_found, uid, role}.
// The decision is domain/rate_limit.cpp's decide(), step for step: integer floors (idiv
// corrects the rare double rounding of a / b) and the same clamp of the counts. Counter
// keys are built here because the window index comes from the server's clock; this is
// fine on a single Redis or with replicas (Redis Cluster would need the keys declared).
// Every request runs this, so it makes few calls: one MGET for both counters, and the
// expiry is set only by the INCR that created the counter (the script is atomic, so no
// counter is left without one). Each redis.call costs the script about a microsecond.
constexpr std::string_view gate_lua = R"lua(
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local function idiv(a, b)
  local q = math.floor(a / b)
  if q * b > a then q = q - 1 elseif (q + 1) * b <= a then q = q + 1 end
  return q
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + idiv(tonumber(t[2]), 1000)
local index = idiv(now, window)
local elapsed = now - index * window
local current_key = KEYS[1] .. ':' .. string.format('%d', index)
local previous_key = KEYS[1] .. ':' .. string.format('%d', index - 1)
local max_count = 2147483648
local counts = redis.call('MGET', previous_key, current_key)
local previous = math.min(tonumber(counts[1] or '0'), max_count)
local current = math.min(tonumber(counts[2] or '0'), max_count)
local left = window - elapsed
local estimate = current + idiv(previous * left, window)
local allowed, remaining, retry = 0, 0, 0
if estimate < limit then
  allowed = 1
  remaining = limit - 1 - estimate
  if ARGV[3] ~= '0' then
    if redis.call('INCR', current_key) == 1 then
      redis.call('PEXPIRE', current_key, 2 * window)
    end
  end
elseif current < limit then
  retry = left - idiv((limit - current) * window - 1, previous)
else
  retry = left + window - idiv(limit * window - 1, current)
end
local found, uid, role = 0, '', ''
if KEYS[2] then
  local s = redis.call('HMGET', KEYS[2], 'uid', 'role')
  if s[1] and s[2] then found, uid, role = 1, s[1], s[2] end
end
return {allowed, remaining, left, retry, previous, current, elapsed, found, uid, role}
)lua";

const redis_script& gate_script() {
  static const redis_script script{std::string(gate_lua)};
  return script;
}

bool valid_class(std::string_view cls) {
  return !cls.empty() && cls.size() <= 32 &&
         std::ranges::all_of(cls, [](char c) { return (c >= 'a' && c <= 'z') || c == '_'; });
}

bool valid_id(std::string_view id) {
  return !id.empty() && id.size() <= 256 && std::ranges::all_of(id, [](char c) {
    return static_cast<unsigned char>(c) > 0x20 && c != 0x7f;
  });
}

bool valid(const limit_spec& s) {
  constexpr std::chrono::milliseconds max_window{24LL * 24 * 3600 * 1000};
  return valid_class(s.cls) && valid_id(s.id) && s.limit >= 1 && s.limit <= 1'000'000 &&
         s.window.count() >= 1 && s.window <= max_window;
}

result<gate_answer> parse(const redis_reply& reply, const limit_spec& spec, bool asked) {
  constexpr std::string_view op = "request_gate";
  long long v[8] = {};
  for (std::size_t i = 0; i < 8; ++i) {
    const auto n = detail::integer_at(reply, i);
    if (!n || *n < 0)
      return detail::unexpected_reply(op, reply);
    v[i] = *n;
  }
  gate_answer a;
  a.limit.allowed = v[0] == 1;
  a.limit.limit = spec.limit;
  a.limit.remaining = static_cast<std::uint32_t>(v[1]);
  a.limit.reset_after_ms = v[2];
  a.limit.retry_after_ms = v[3];
  a.counts = {static_cast<std::uint64_t>(v[4]), static_cast<std::uint64_t>(v[5]), v[6],
              spec.window.count()};
  if (asked && v[7] == 1) {
    const auto uid = detail::string_at(reply, 8);
    const auto role_name = detail::string_at(reply, 9);
    if (!uid || !role_name)
      return detail::unexpected_reply(op, reply);
    const auto user_id = uuid::parse(*uid);
    const auto role = parse_role(*role_name);
    if (user_id && role)
      a.session = session_view{*user_id, *role};
  }
  return a;
}

}  // namespace

boost::asio::awaitable<result<gate_answer>> request_gate::check(
    std::optional<std::string> session_id, limit_spec spec) {
  co_return co_await run(std::move(session_id), std::move(spec), true);
}

boost::asio::awaitable<result<gate_answer>> request_gate::run(
    std::optional<std::string> session_id, limit_spec spec, bool count) {
  if (!valid(spec))
    co_return make_error(errc::internal, "invalid rate limit");
  std::vector<std::string> keys;
  keys.push_back("kemas:rl:" + spec.cls + ":" + spec.id);
  const bool asked = session_id.has_value();
  if (asked && session_id->size() == session_id_length && is_lower_hex(*session_id)) {
    keys.push_back(detail::session_key(*session_id));
  }
  std::vector<std::string> args;
  args.push_back(std::to_string(spec.limit));
  args.push_back(std::to_string(spec.window.count()));
  args.push_back(count ? "1" : "0");
  const redis_result r = co_await redis_.eval(gate_script(), std::move(keys), std::move(args));
  auto reply = detail::checked(r, "request_gate");
  if (!reply)
    co_return reply.error();
  co_return parse(*reply, spec, asked);
}

boost::asio::awaitable<result<limit_decision>> request_gate::hit(limit_spec spec) {
  std::optional<std::string> no_session;
  auto answer = co_await check(std::move(no_session), std::move(spec));
  if (!answer)
    co_return answer.error();
  co_return answer->limit;
}

boost::asio::awaitable<result<limit_decision>> request_gate::peek(limit_spec spec) {
  std::optional<std::string> no_session;
  auto answer = co_await run(std::move(no_session), std::move(spec), false);
  if (!answer)
    co_return answer.error();
  co_return answer->limit;
}

}  // namespace kemas::redis
