#include "adapters/redis/auth/session_store.hpp"

#include <algorithm>
#include <utility>
#include <vector>

#include "adapters/crypto/tokens.hpp"
#include "adapters/redis/auth/replies.hpp"
#include "adapters/redis/client.hpp"
#include "adapters/support/random.hpp"
#include "domain/credentials.hpp"

namespace kemas::redis {

namespace {

// The scripts name the user-sessions key from the uid they read, and session keys from the
// set's members: keys not declared in KEYS, fine on one Redis (with or without replicas).

// KEYS[1] session, KEYS[2] user-sessions. ARGV uid, role, rh, ip, ttl_ms, sid, ua, max_sessions.
// Forgets the sids of sessions that expired on their own and, when the user already has
// max_sessions live ones, ends the least recently used until the new one fits. The scan is
// bounded by max_sessions. Returns how many sessions were ended to make room.
constexpr std::string_view create_lua = R"lua(
local t = redis.call('TIME')
local now_ms = string.format('%d', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
redis.call('HSET', KEYS[1], 'uid', ARGV[1], 'role', ARGV[2], 'rh', ARGV[3],
           'created_ms', now_ms, 'ip', ARGV[4], 'ua', ARGV[7], 'seen_ms', now_ms)
redis.call('PEXPIRE', KEYS[1], ARGV[5])
local live = {}
for _, sid in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  local seen = redis.call('HGET', 'kemas:session:' .. sid, 'seen_ms')
  if seen then
    table.insert(live, {sid, tonumber(seen)})
  else
    redis.call('SREM', KEYS[2], sid)
  end
end
local ended = 0
local room = tonumber(ARGV[8]) - 1
if #live > room then
  table.sort(live, function(a, b) return a[2] < b[2] end)
  for i = 1, #live - room do
    redis.call('DEL', 'kemas:session:' .. live[i][1])
    redis.call('SREM', KEYS[2], live[i][1])
    ended = ended + 1
  end
end
redis.call('SADD', KEYS[2], ARGV[6])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
return ended
)lua";

// KEYS[1] session. ARGV presented hash, new hash, ttl_ms, sid, max_lifetime_ms.
// Returns {0} unknown (no such session, a secret it never had, or past its absolute
// lifetime: then it is deleted), {1, uid, role} rotated, {2, uid, role} reused (session
// deleted). Only a secret this session really had before (field 'ph': its last 8 hashes,
// newest first, space-separated: 8 x 64 + 7 = 519 characters) counts as reuse: a made-up
// secret for a known session id must not let anyone log its owner out.
constexpr std::string_view rotate_lua = R"lua(
local s = redis.call('HMGET', KEYS[1], 'uid', 'role', 'rh', 'ph', 'created_ms')
if not s[1] then return {0} end
local set = 'kemas:user-sessions:' .. s[1]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ends = tonumber(s[5] or '0') + tonumber(ARGV[5])
if ends <= now then
  redis.call('DEL', KEYS[1])
  redis.call('SREM', set, ARGV[4])
  return {0}
end
if s[3] ~= ARGV[1] then
  if s[4] and string.find(s[4], ARGV[1], 1, true) then
    redis.call('DEL', KEYS[1])
    redis.call('SREM', set, ARGV[4])
    return {2, s[1], s[2] or ''}
  end
  return {0}
end
local previous = s[3]
if s[4] and s[4] ~= '' then previous = previous .. ' ' .. s[4] end
previous = string.sub(previous, 1, 519)
redis.call('HSET', KEYS[1], 'rh', ARGV[2], 'ph', previous, 'seen_ms', string.format('%d', now))
local ttl = math.min(tonumber(ARGV[3]), ends - now)
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('SADD', set, ARGV[4])
if redis.call('PTTL', set) < ttl then redis.call('PEXPIRE', set, ttl) end
return {1, s[1], s[2] or ''}
)lua";

// KEYS[1] session. ARGV sid. Returns 1 when the session existed.
constexpr std::string_view revoke_lua = R"lua(
local uid = redis.call('HGET', KEYS[1], 'uid')
if not uid then return redis.call('DEL', KEYS[1]) end
redis.call('DEL', KEYS[1])
redis.call('SREM', 'kemas:user-sessions:' .. uid, ARGV[1])
return 1
)lua";

// KEYS[1] user-sessions. ARGV sid to keep ('' keeps none). Returns sessions deleted.
constexpr std::string_view revoke_all_lua = R"lua(
local n = 0
for _, sid in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if sid ~= ARGV[1] then
    n = n + redis.call('DEL', 'kemas:session:' .. sid)
    redis.call('SREM', KEYS[1], sid)
  end
end
return n
)lua";

// KEYS[1] user-sessions. Returns {sid, created_ms, ip, ua, seen_ms, ...} of the sessions
// that still exist.
constexpr std::string_view list_lua = R"lua(
local out = {}
for _, sid in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local s = redis.call('HMGET', 'kemas:session:' .. sid, 'created_ms', 'ip', 'ua', 'seen_ms')
  if s[1] then
    table.insert(out, sid)
    table.insert(out, s[1])
    table.insert(out, s[2] or '')
    table.insert(out, s[3] or '')
    table.insert(out, s[4] or s[1])
  end
end
return out
)lua";

// The session scripts, made together on first use (each SHA-1 computed once).
struct session_scripts {
  redis_script create{std::string(create_lua)};
  redis_script rotate{std::string(rotate_lua)};
  redis_script revoke{std::string(revoke_lua)};
  redis_script revoke_all{std::string(revoke_all_lua)};
  redis_script list{std::string(list_lua)};
};
const session_scripts& scripts() {
  static const session_scripts made;
  return made;
}

bool valid_session_id(std::string_view sid) {
  return sid.size() == session_id_length && is_lower_hex(sid);
}

std::vector<std::string> list_of(std::string a) {
  std::vector<std::string> v;
  v.push_back(std::move(a));
  return v;
}

}  // namespace

session_store::session_store(redis_client& redis, const config::auth_settings& auth)
    : redis_(redis),
      ttl_(std::max<std::chrono::milliseconds>(auth.refresh_ttl, std::chrono::seconds(1))),
      lifetime_(std::max<std::chrono::milliseconds>(auth.session_max_lifetime,
                                                    std::chrono::seconds(1))),
      per_user_(std::max(auth.sessions_per_user, 1u)) {}

boost::asio::awaitable<result<new_session>> session_store::create(uuid user_id, kemas::role role,
                                                                  std::string ip,
                                                                  std::string device) {
  new_session s;
  s.session_id = support::random_hex(session_id_length / 2);
  const std::string secret = crypto::random_token();
  s.refresh_token = format_refresh_token(s.session_id, secret);
  const std::string uid = user_id.to_string();

  std::vector<std::string> keys{detail::session_key(s.session_id), detail::user_sessions_key(uid)};
  std::vector<std::string> args{uid,
                                std::string(role_name(role)),
                                crypto::sha256_hex(secret),
                                std::move(ip),
                                std::to_string(std::min(ttl_, lifetime_).count()),
                                s.session_id,
                                std::move(device),
                                std::to_string(per_user_)};
  const redis_result r = co_await redis_.eval(scripts().create, std::move(keys), std::move(args));
  const auto ended = detail::checked_integer(r, "session_store.create");
  if (!ended)
    co_return ended.error();
  s.sessions_ended = static_cast<std::size_t>(std::max<long long>(*ended, 0));
  co_return s;
}

boost::asio::awaitable<result<rotate_result>> session_store::rotate(std::string refresh_token) {
  constexpr std::string_view op = "session_store.rotate";
  const auto parts = parse_refresh_token(refresh_token);
  if (!parts)
    co_return rotate_result{refresh_unknown{}};
  const std::string sid(parts->session_id);
  const std::string new_secret = crypto::random_token();

  std::vector<std::string> keys = list_of(detail::session_key(sid));
  std::vector<std::string> args{crypto::sha256_hex(parts->secret), crypto::sha256_hex(new_secret),
                                std::to_string(ttl_.count()), sid,
                                std::to_string(lifetime_.count())};
  const redis_result r = co_await redis_.eval(scripts().rotate, std::move(keys), std::move(args));
  auto reply = detail::checked(r, op);
  if (!reply)
    co_return reply.error();

  const auto outcome = detail::integer_at(*reply, 0);
  if (outcome == 0)
    co_return rotate_result{refresh_unknown{}};
  const auto uid_text = detail::string_at(*reply, 1);
  const auto role_text = detail::string_at(*reply, 2);
  const auto uid = uid_text ? uuid::parse(*uid_text) : std::nullopt;
  if (!outcome || !uid || !role_text)
    co_return detail::unexpected_reply(op, *reply);
  if (*outcome == 2)
    co_return rotate_result{refresh_reused{sid, *uid}};
  const auto parsed_role = parse_role(*role_text);
  if (*outcome != 1 || !parsed_role)
    co_return detail::unexpected_reply(op, *reply);
  co_return rotate_result{
      session_rotated{sid, *uid, *parsed_role, format_refresh_token(sid, new_secret)}};
}

boost::asio::awaitable<result<bool>> session_store::revoke(std::string session_id) {
  if (!valid_session_id(session_id))
    co_return false;
  std::vector<std::string> keys = list_of(detail::session_key(session_id));
  std::vector<std::string> args = list_of(session_id);
  const redis_result r = co_await redis_.eval(scripts().revoke, std::move(keys), std::move(args));
  const auto removed = detail::checked_integer(r, "session_store.revoke");
  if (!removed)
    co_return removed.error();
  co_return *removed > 0;
}

boost::asio::awaitable<result<std::size_t>> session_store::revoke_all(uuid user_id) {
  std::string keep_none;  // no session id is empty
  auto n = co_await revoke_all_except(user_id, std::move(keep_none));
  co_return n;
}

boost::asio::awaitable<result<std::size_t>> session_store::revoke_all_except(
    uuid user_id, std::string keep_session_id) {
  std::vector<std::string> keys = list_of(detail::user_sessions_key(user_id.to_string()));
  std::vector<std::string> args = list_of(std::move(keep_session_id));
  const redis_result r =
      co_await redis_.eval(scripts().revoke_all, std::move(keys), std::move(args));
  auto reply = detail::checked(r, "session_store.revoke_all");
  if (!reply)
    co_return reply.error();
  if (!reply->is_integer() || reply->integer() < 0) {
    co_return detail::unexpected_reply("session_store.revoke_all", *reply);
  }
  co_return static_cast<std::size_t>(reply->integer());
}

boost::asio::awaitable<result<std::vector<ports::session_info>>> session_store::list(uuid user_id) {
  std::vector<std::string> keys = list_of(detail::user_sessions_key(user_id.to_string()));
  std::vector<std::string> args;
  const redis_result r = co_await redis_.eval(scripts().list, std::move(keys), std::move(args));
  auto reply = detail::checked(r, "session_store.list");
  if (!reply)
    co_return reply.error();
  constexpr std::size_t fields = 5;  // sid, created_ms, ip, ua, seen_ms
  if (!reply->is_array() || reply->elements().size() % fields != 0)
    co_return detail::unexpected_reply("session_store.list", *reply);
  auto millis = [](const std::string& text) -> std::int64_t {
    try {
      return std::stoll(text);
    } catch (const std::exception&) {
      return 0;
    }
  };
  std::vector<ports::session_info> sessions;
  const auto& e = reply->elements();
  for (std::size_t i = 0; i + fields <= e.size(); i += fields) {
    for (std::size_t k = 0; k < fields; ++k) {
      if (!e[i + k].is_string())
        co_return detail::unexpected_reply("session_store.list", *reply);
    }
    ports::session_info info;
    info.session_id = e[i].str();
    info.created_ms = millis(e[i + 1].str());
    info.ip = e[i + 2].str();
    info.device = e[i + 3].str();
    info.last_seen_ms = millis(e[i + 4].str());
    sessions.push_back(std::move(info));
  }
  std::sort(sessions.begin(), sessions.end(),
            [](const auto& a, const auto& b) { return a.created_ms > b.created_ms; });
  co_return sessions;
}

boost::asio::awaitable<result<bool>> session_store::exists(std::string session_id) {
  if (!valid_session_id(session_id))
    co_return false;
  std::vector<std::string> command{"EXISTS", detail::session_key(session_id)};
  const redis_result r = co_await redis_.command(std::move(command));
  const auto found = detail::checked_integer(r, "session_store.exists");
  if (!found)
    co_return found.error();
  co_return *found == 1;
}

}  // namespace kemas::redis
