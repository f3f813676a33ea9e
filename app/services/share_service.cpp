#include "app/services/share_service.hpp"

#include <algorithm>
#include <chrono>

#include "adapters/crypto/tokens.hpp"
#include "adapters/support/random.hpp"
#include "app/server/client_ip.hpp"
#include "app/services/command_sender.hpp"
#include "app/services/file_service.hpp"
#include "app/services/password_hashing.hpp"
#include "domain/commands/expire_share.hpp"
#include "domain/rfc3339.hpp"
#include "domain/utf8.hpp"

namespace kemas::app {
namespace asio = boost::asio;

namespace {

constexpr std::size_t note_max_chars = 500;
constexpr std::size_t password_max_bytes = 256;
constexpr std::int64_t max_downloads_limit = 1'000'000;
constexpr std::size_t token_length = 43;  // crypto::random_token(): 32 bytes, base64url
constexpr int token_attempts = 3;         // a 256-bit token collides about never; retry anyway

timestamp now_ms() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

bool is_token(std::string_view token) {
  return token.size() == token_length && std::ranges::all_of(token, [](char c) {
           return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_';
         });
}

model::event_draft share_event(std::string type, std::optional<uuid> actor,
                               const request_meta& meta) {
  return request_event(std::move(type), meta, actor, "share");
}

error gone(std::string message) {
  return make_error(errc::gone, std::move(message));
}

}  // namespace

share_service::share_service(const config::share_settings& settings, ports::share_store& shares,
                             file_service& files, password_hashing& passwords,
                             ports::request_gate& gate, command_sender& commands)
    : settings_(settings),
      shares_(shares),
      files_(files),
      passwords_(passwords),
      gate_(gate),
      commands_(commands) {}

result<timestamp> share_service::expiry_of(const share_request& request, timestamp now) const {
  const auto longest = settings_.max_duration;
  const std::string bound = std::to_string(longest.count() / 1000) + " seconds";
  if (request.expires_at && request.expires_in)
    return make_error(errc::validation_failed, "give expires_at or expires_in, not both",
                      "expires_in");
  if (request.expires_in) {
    if (*request.expires_in < 1 || *request.expires_in > longest.count() / 1000)
      return make_error(errc::validation_failed, "expires_in must be 1 to " + bound,
                        "expires_in");
    return now + std::chrono::seconds(*request.expires_in);
  }
  if (request.expires_at) {
    const auto at = parse_rfc3339(*request.expires_at);
    if (!at)
      return make_error(errc::validation_failed, "expires_at must be an RFC 3339 time",
                        "expires_at");
    if (*at <= now + std::chrono::seconds(1) || *at > now + longest)
      return make_error(errc::validation_failed,
                        "expires_at must be in the future, at most " + bound + " from now",
                        "expires_at");
    return *at;
  }
  return now + settings_.default_duration;
}

asio::awaitable<result<created_share>> share_service::create(const principal& who,
                                                             share_request request,
                                                             request_meta meta) {
  const auto file_id = uuid::parse(request.file_id);
  if (!file_id)
    co_return make_error(errc::not_found, "no such file");
  if (utf8_length(request.note) > note_max_chars)
    co_return make_error(errc::validation_failed, "note must be at most 500 characters", "note");
  if (request.max_downloads && (*request.max_downloads < 1 ||
                                *request.max_downloads > max_downloads_limit))
    co_return make_error(errc::validation_failed, "max_downloads must be 1 to 1000000",
                         "max_downloads");
  if (request.password && (request.password->empty() ||
                           request.password->size() > password_max_bytes))
    co_return make_error(errc::validation_failed, "password must be 1 to 256 bytes", "password");
  const timestamp now = now_ms();
  auto expires_at = expiry_of(request, now);
  if (!expires_at)
    co_return expires_at.error();

  ports::share_draft draft{.id = {},  // drawn per attempt below
                           .owner_id = who.user_id,
                           .file_id = *file_id,
                           .token_hash = {},
                           .note = std::move(request.note),
                           .password_hash = std::nullopt,
                           .max_downloads = request.max_downloads,
                           .expires_at = *expires_at};
  if (request.password) {
    auto hashed = co_await passwords_.hash(std::move(*request.password));
    if (!hashed)
      co_return hashed.error();
    draft.password_hash = std::move(*hashed);
  }

  for (int attempt = 1;; ++attempt) {
    draft.id = support::random_uuid();
    // The cleanup first: a link is stored only once its end is on the way.
    const commands::expire_share cleanup{draft.id, draft.expires_at};
    const command_origin origin{meta.request_id, std::nullopt, meta.client_ip};
    auto scheduled = co_await commands_.send_at(cleanup, origin, draft.expires_at);
    if (!scheduled)
      co_return scheduled.error();

    std::string token = crypto::random_token();
    draft.token_hash = crypto::sha256_hex(token);
    auto event = share_event("share.created", who.user_id, meta);
    event.data = {{"file_id", draft.file_id.to_string()},
                  {"expires_at", format_rfc3339(draft.expires_at)},
                  {"password", draft.password_hash.has_value()}};
    if (draft.max_downloads)
      event.data["max_downloads"] = *draft.max_downloads;
    auto stored = co_await shares_.create(draft, std::move(event));
    if (stored)
      co_return created_share{std::move(*stored), std::move(token)};
    if (stored.error().field != "token" || attempt == token_attempts)
      co_return stored.error();
  }
}

asio::awaitable<std::vector<model::share_link>> share_service::list(const principal& who) {
  co_return co_await shares_.list_for_owner(who.user_id);
}

asio::awaitable<result<void>> share_service::revoke(const principal& who, std::string share_id,
                                                    request_meta meta) {
  const auto id = uuid::parse(share_id);
  if (!id)
    co_return make_error(errc::not_found, "no such share link");
  auto event = share_event("share.revoked", who.user_id, meta);
  auto revoked = co_await shares_.revoke(who.user_id, *id, std::move(event));
  if (!revoked)
    co_return revoked.error();
  co_return result<void>{};
}

asio::awaitable<result<void>> share_service::within_limit(ports::limit_spec spec,
                                                          const char* what) {
  auto decision = co_await gate_.hit(std::move(spec));
  if (!decision)
    co_return decision.error();
  if (!decision->allowed) {
    auto refused = make_error(errc::rate_limited, what);
    refused.retry_after_ms = std::max<std::int64_t>(decision->retry_after_ms, 1);
    co_return refused;
  }
  co_return result<void>{};
}

asio::awaitable<result<ports::share_access>> share_service::open(
    std::string token, std::optional<std::string> password, request_meta meta) {
  const std::string source =
      meta.client_ip.empty() ? std::string("unknown") : http::rate_limit_source(meta.client_ip);
  ports::limit_spec per_ip{"share", source, settings_.ip_limit, settings_.ip_window};
  auto by_ip =
      co_await within_limit(std::move(per_ip), "too many share link requests from this address");
  if (!by_ip)
    co_return by_ip.error();
  if (!is_token(token))
    co_return make_error(errc::not_found, "no such share link");
  const std::string token_hash = crypto::sha256_hex(token);
  // Keyed by a prefix of the hash: enough to tell links apart, never the token itself.
  ports::limit_spec per_link{"share_link", token_hash.substr(0, 32), settings_.link_limit,
                             settings_.link_window};
  auto by_link =
      co_await within_limit(std::move(per_link), "too many requests for this share link");
  if (!by_link)
    co_return by_link.error();

  auto found = co_await shares_.find_by_token(token_hash);
  if (!found)
    co_return found.error();
  const auto& link = found->link;
  if (found->owner_disabled || found->file.state == model::file_state::deleted)
    co_return gone("this share link no longer works");
  switch (model::state_of(link, now_ms())) {
    case model::share_state::revoked:
      co_return gone("this share link was revoked");
    case model::share_state::expired:
      co_return gone("this share link has expired");
    case model::share_state::used_up:
      co_return gone("this share link has reached its maximum number of downloads");
    case model::share_state::active:
      break;
  }
  auto unlocked = co_await files_.check_unlocked(found->file);
  if (!unlocked)
    co_return unlocked.error();
  auto allowed = co_await check_password(*found, std::move(password));
  if (!allowed)
    co_return allowed.error();
  co_return std::move(*found);
}

asio::awaitable<result<void>> share_service::check_password(const ports::share_access& access,
                                                            std::optional<std::string> password) {
  if (!access.password_hash)
    co_return result<void>{};
  if (!password || password->empty())
    co_return make_error(errc::unauthenticated, "this share link needs its password", "password");
  ports::limit_spec failures{"share_password", access.link.id.to_string(),
                             settings_.password_failure_limit,
                             settings_.password_failure_window};
  // Over the limit, not even a right password is checked: guessing gains nothing by waiting
  // for a lucky hit inside a refused window.
  auto spent = co_await gate_.peek(failures);
  if (!spent)
    co_return spent.error();
  if (!spent->allowed) {
    auto refused = make_error(errc::rate_limited, "too many wrong passwords for this share link");
    refused.retry_after_ms = std::max<std::int64_t>(spent->retry_after_ms, 1);
    co_return refused;
  }
  auto matches = co_await passwords_.verify(std::move(*password), *access.password_hash);
  if (!matches)
    co_return matches.error();
  if (*matches)
    co_return result<void>{};
  auto counted = co_await gate_.hit(std::move(failures));
  if (!counted)
    co_return counted.error();
  co_return make_error(errc::unauthenticated, "wrong password for this share link", "password");
}

asio::awaitable<result<void>> share_service::count_download(const ports::share_access& access,
                                                            request_meta meta) {
  auto event = share_event("share.downloaded", std::nullopt, meta);
  event.data = {{"file_id", access.file.id.to_string()}};
  auto counted = co_await shares_.count_download(access.link.id, std::move(event));
  if (!counted)
    co_return gone("this share link has reached its maximum number of downloads");
  co_return result<void>{};
}

}  // namespace kemas::app
