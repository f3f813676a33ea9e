#include "adapters/redis/upload_leases.hpp"

#include "adapters/redis/auth/replies.hpp"
#include "adapters/redis/client.hpp"
#include "adapters/support/random.hpp"

namespace kemas::redis {
namespace {

// {1, 0} when taken; {0, ms left} when someone holds it.
constexpr std::string_view acquire_lua = R"lua(
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return {1, 0} end
local left = redis.call('PTTL', KEYS[1])
if left < 0 then left = 0 end
return {0, left}
)lua";

constexpr std::string_view renew_lua = R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
)lua";

constexpr std::string_view release_lua = R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
)lua";

struct lease_scripts {
  redis_script acquire{std::string(acquire_lua)};
  redis_script renew{std::string(renew_lua)};
  redis_script release{std::string(release_lua)};
};

const lease_scripts& scripts() {
  static const lease_scripts instance;
  return instance;
}

std::string lease_key(const uuid& upload_id) {
  return "kemas:tus-lease:" + upload_id.to_string();
}

}  // namespace

ports::async<result<ports::lease_grant>> redis_upload_leases::acquire(
    uuid upload_id, std::chrono::milliseconds ttl) {
  std::string holder = support::random_hex(16);
  std::vector<std::string> keys{lease_key(upload_id)};
  std::vector<std::string> args{holder, std::to_string(ttl.count())};
  const redis_result r = co_await redis_.eval(scripts().acquire, std::move(keys), std::move(args));
  auto reply = detail::checked(r, "upload lease");
  if (!reply)
    co_return reply.error();
  const auto taken = detail::integer_at(*reply, 0);
  const auto left = detail::integer_at(*reply, 1);
  if (!taken || !left)
    co_return detail::unexpected_reply("upload lease", *reply);
  ports::lease_grant grant;
  if (*taken == 1)
    grant.holder = std::move(holder);
  else
    grant.held_for = std::chrono::milliseconds(*left);
  co_return grant;
}

ports::async<result<bool>> redis_upload_leases::renew(uuid upload_id, std::string holder,
                                                      std::chrono::milliseconds ttl) {
  std::vector<std::string> keys{lease_key(upload_id)};
  std::vector<std::string> args{std::move(holder), std::to_string(ttl.count())};
  const redis_result r = co_await redis_.eval(scripts().renew, std::move(keys), std::move(args));
  auto renewed = detail::checked_integer(r, "upload lease renewal");
  if (!renewed)
    co_return renewed.error();
  co_return *renewed == 1;
}

ports::async<void> redis_upload_leases::release(uuid upload_id, std::string holder) {
  std::vector<std::string> keys{lease_key(upload_id)};
  std::vector<std::string> args{std::move(holder)};
  const redis_result r = co_await redis_.eval(scripts().release, std::move(keys), std::move(args));
  (void)detail::checked_integer(r, "upload lease release");  // logged; the ttl ends it anyway
}

}  // namespace kemas::redis
