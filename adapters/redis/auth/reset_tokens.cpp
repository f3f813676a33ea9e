#include "adapters/redis/auth/reset_tokens.hpp"

#include <algorithm>
#include <string_view>
#include <utility>
#include <vector>

#include "adapters/crypto/tokens.hpp"
#include "adapters/redis/auth/replies.hpp"
#include "adapters/redis/client.hpp"
#include "domain/credentials.hpp"

namespace kemas::redis {

namespace {

std::string token_key(std::string_view token) {
  return "kemas:pwreset:" + crypto::sha256_hex(token);
}

}  // namespace

reset_tokens::reset_tokens(redis_client& redis, const config::auth_settings& auth)
    : redis_(redis), ttl_(std::max(auth.password_reset_ttl, std::chrono::milliseconds(1))) {}

boost::asio::awaitable<result<std::string>> reset_tokens::issue(uuid user_id) {
  std::string token = crypto::random_token();
  std::vector<std::string> command{"SET", token_key(token), user_id.to_string(), "PX",
                                   std::to_string(ttl_.count())};
  const redis_result r = co_await redis_.command(std::move(command));
  if (auto stored = detail::checked_status(r, "reset_tokens.issue"); !stored)
    co_return stored.error();
  co_return token;
}

boost::asio::awaitable<result<std::optional<uuid>>> reset_tokens::consume(std::string token) {
  if (token.size() != secret_length || !is_base64url(token))
    co_return std::nullopt;
  std::vector<std::string> command{"GETDEL", token_key(token)};
  const redis_result r = co_await redis_.command(std::move(command));
  auto reply = detail::checked(r, "reset_tokens.consume");
  if (!reply)
    co_return reply.error();
  if (reply->is_nil())
    co_return std::nullopt;
  const auto user_id = reply->is_string() ? uuid::parse(reply->str()) : std::nullopt;
  if (!user_id)
    co_return detail::unexpected_reply("reset_tokens.consume", *reply);
  co_return user_id;
}

}  // namespace kemas::redis
