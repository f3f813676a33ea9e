#include "app/services/account_service.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/this_coro.hpp>

#include <atomic>
#include <variant>

#include "adapters/crypto/jwt.hpp"
#include "adapters/crypto/password_hasher.hpp"
#include "adapters/crypto/sealed_box.hpp"
#include "adapters/log/logging.hpp"
#include "app/server/client_ip.hpp"
#include "domain/account.hpp"
#include "domain/rfc3339.hpp"

namespace kemas::app {
namespace asio = boost::asio;
using model::event_draft;

namespace {

const error invalid_credentials =
    make_error(errc::unauthenticated, "invalid e-mail/username or password");

std::int64_t now_unix() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

model::event_draft user_event(std::string type, const request_meta& meta, std::optional<uuid> actor,
                              const uuid& subject, boost::json::object data = {}) {
  auto e = request_event(std::move(type), meta, actor, "user");
  e.subject_id = subject.to_string();
  e.data = std::move(data);
  return e;
}

// Brute-force accounting is per account and source; an unknown login name is an "account" of
// its own so probing it costs and is throttled the same.
std::string account_key(const std::optional<model::user>& user, const std::string& login) {
  if (user)
    return user->id.to_string();
  return "u:" + normalize_email(login.substr(0, account_limits::email_max));
}

error locked_error(std::chrono::milliseconds remaining) {
  auto e = make_error(errc::rate_limited,
                      "too many failed logins for this account from here; try again later");
  e.retry_after_ms = std::max<std::int64_t>(remaining.count(), 1);
  return e;
}

std::string login_source(const std::string& client_ip) {
  return client_ip.empty() ? std::string("unknown") : http::rate_limit_source(client_ip);
}

asio::awaitable<void> write_event(ports::user_store& users, model::event_draft event) {
  co_await users.append_event(std::move(event));
}

}  // namespace

account_service::account_service(const config::auth_settings& auth, password_hashing& hashing,
                                 ports::user_store& users, ports::session_store& sessions,
                                 ports::login_guard& guard, ports::reset_tokens& resets,
                                 const crypto::jwt_codec& jwt, ports::api_key_store& keys,
                                 std::string mail_token_key)
    : auth_(auth),
      hashing_(hashing),
      users_(users),
      sessions_(sessions),
      guard_(guard),
      resets_(resets),
      jwt_(jwt),
      keys_(keys),
      mail_token_key_(std::move(mail_token_key)) {}

asio::awaitable<result<void>> account_service::may_try(const std::string& account,
                                                      const std::string& source) {
  auto wait = co_await guard_.blocked(account, source);
  if (!wait)
    co_return wait.error();
  if (*wait)
    co_return locked_error(**wait);
  co_return result<void>{};
}

asio::awaitable<void> account_service::append_later(model::event_draft event) {
  // Detached: the answer does not wait for this write, so a failure for a real account costs
  // what one for an unknown name costs (no timing difference to learn from).
  auto executor = co_await asio::this_coro::executor;
  asio::co_spawn(executor, write_event(users_, std::move(event)),
                 log::log_failure{"audit event not stored"});
}

asio::awaitable<void> account_service::warm_up() {
  co_await hashing_.warm_up();
}

asio::awaitable<result<model::user>> account_service::register_user(std::string email,
                                                                    std::string username,
                                                                    std::string password,
                                                                    request_meta meta) {
  if (auto check = validate_email(email); !check)
    co_return check.error();
  if (auto check = validate_username(username); !check)
    co_return check.error();
  if (auto check = validate_password(password); !check)
    co_return check.error();
  ports::new_user user;
  user.email = email;
  user.username = username;
  auto encoded = co_await hashing_.hash(std::move(password));
  if (!encoded)
    co_return encoded.error();
  user.password_hash = std::move(*encoded);
  user.role = role::user;
  model::event_draft event;
  event.type = "user.registered";
  event.request_id = meta.request_id;
  event.actor_ip = meta.client_ip;
  event.subject_type = "user";
  event.data = {{"email", email}, {"username", username}};
  co_return co_await users_.create(std::move(user), std::move(event));
}

asio::awaitable<result<token_pair>> account_service::open_session(const model::user& user,
                                                                  const request_meta& meta) {
  auto session = co_await sessions_.create(user.id, user.role, meta.client_ip, meta.user_agent);
  if (!session)
    co_return session.error();
  if (session->sessions_ended > 0) {
    auto ended = user_event("auth.logout", meta, user.id, user.id,
                            {{"reason", "session_limit"},
                             {"sessions", static_cast<std::int64_t>(session->sessions_ended)}});
    co_await users_.append_event(std::move(ended));
  }
  token_pair tokens;
  tokens.access_token = jwt_.issue(user.id, session->session_id, user.role, now_unix());
  tokens.refresh_token = std::move(session->refresh_token);
  tokens.expires_in = auth_.access_ttl.count();
  co_return tokens;
}

asio::awaitable<result<login_success>> account_service::login(std::string login,
                                                              std::string password,
                                                              request_meta meta) {
  if (login.empty())
    co_return make_error(errc::validation_failed, "email or username is required", "email");
  if (password.empty())
    co_return make_error(errc::validation_failed, "password is required", "password");
  if (password.size() > account_limits::password_max)
    co_return invalid_credentials;

  // Plain statements around co_await: GCC 12 miscompiles co_await inside ?: and || (it
  // destroys temporaries twice).
  std::optional<model::user> user;
  {
    const bool by_email = login.find('@') != std::string::npos;
    result<model::user> found = make_error(errc::not_found, "");
    if (by_email) {
      found = co_await users_.find_by_email(login);
    } else {
      found = co_await users_.find_by_username(login);
    }
    if (!found && found.error().code != errc::not_found)
      co_return found.error();
    if (found)
      user = std::move(*found);
  }
  const std::string account = account_key(user, login);
  const std::string source = login_source(meta.client_ip);

  if (auto may = co_await may_try(account, source); !may)
    co_return may.error();

  // Unknown accounts verify against a dummy hash, and the failure event of a real one is
  // written after the answer: both failures cost the same Redis and hashing work.
  const std::string& encoded = user ? user->password_hash : crypto::dummy_hash(hashing_.params());
  auto password_ok = co_await hashing_.verify(std::move(password), encoded);
  if (!password_ok)
    co_return password_ok.error();
  if (!user || !*password_ok) {
    auto outcome = co_await guard_.record_failure(account, source);
    if (!outcome)
      co_return outcome.error();
    const bool locked_now = *outcome == ports::login_failure_outcome::source_locked ||
                            *outcome == ports::login_failure_outcome::account_limited;
    if (user) {
      // Named events, not temporaries in the co_await (GCC 12).
      auto failed = user_event("auth.login_failed", meta, std::nullopt, user->id);
      co_await append_later(std::move(failed));
      if (locked_now) {
        const std::string scope =
            *outcome == ports::login_failure_outcome::source_locked ? "source" : "account";
        boost::json::object details;
        details["scope"] = scope;
        details["source"] = source;
        auto lockout = user_event("auth.lockout", meta, std::nullopt, user->id, std::move(details));
        co_await append_later(std::move(lockout));
      }
    }
    log::info("login failed", {{"request_id", meta.request_id},
                               {"ip", meta.client_ip},
                               {"known_account", user.has_value()},
                               {"locked", locked_now}});
    co_return invalid_credentials;
  }
  if (user->disabled)
    co_return make_error(errc::forbidden, "this account is disabled");

  auto remembered = co_await guard_.record_success(account, source);
  if (!remembered)
    co_return remembered.error();
  auto tokens = co_await open_session(*user, meta);
  if (!tokens)
    co_return tokens.error();
  auto logged_in = user_event("auth.login", meta, user->id, user->id);
  co_await users_.append_event(std::move(logged_in));
  co_return login_success{std::move(*user), std::move(*tokens)};
}

asio::awaitable<result<token_pair>> account_service::refresh(std::string refresh_token,
                                                             request_meta meta) {
  auto rotated = co_await sessions_.rotate(std::move(refresh_token));
  if (!rotated)
    co_return rotated.error();
  if (auto* ok = std::get_if<ports::session_rotated>(&*rotated)) {
    token_pair tokens;
    tokens.access_token = jwt_.issue(ok->user_id, ok->session_id, ok->role, now_unix());
    tokens.refresh_token = std::move(ok->refresh_token);
    tokens.expires_in = auth_.access_ttl.count();
    co_return tokens;
  }
  if (auto* reused = std::get_if<ports::refresh_reused>(&*rotated)) {
    log::warn("refresh token reused: session revoked", {{"request_id", meta.request_id},
                                                        {"ip", meta.client_ip},
                                                        {"user_id", reused->user_id.to_string()}});
    boost::json::object details{{"reason", "refresh_token_reuse"},
                                {"session_id", reused->session_id}};
    auto event = user_event("auth.logout", meta, std::nullopt, reused->user_id, std::move(details));
    co_await users_.append_event(std::move(event));
    co_return make_error(errc::unauthenticated,
                         "refresh token already used: the session has been revoked");
  }
  co_return make_error(errc::unauthenticated, "refresh token invalid or expired");
}

asio::awaitable<result<void>> account_service::logout(const principal& who, request_meta meta) {
  auto revoked = co_await sessions_.revoke(who.session_id);
  if (!revoked)
    co_return revoked.error();
  boost::json::object details{{"sessions", 1}};
  auto event = user_event("auth.logout", meta, who.user_id, who.user_id, std::move(details));
  co_await users_.append_event(std::move(event));
  co_return result<void>{};
}

asio::awaitable<result<std::size_t>> account_service::logout_all(const principal& who,
                                                                 request_meta meta) {
  auto revoked = co_await sessions_.revoke_all(who.user_id);
  if (!revoked)
    co_return revoked.error();
  boost::json::object details{{"sessions", static_cast<std::int64_t>(*revoked)}};
  auto event = user_event("auth.logout", meta, who.user_id, who.user_id, std::move(details));
  co_await users_.append_event(std::move(event));
  co_return *revoked;
}

asio::awaitable<result<model::user>> account_service::me(const principal& who) {
  co_return co_await users_.find_by_id(who.user_id);
}

asio::awaitable<result<void>> account_service::change_password(const principal& who,
                                                               std::string current,
                                                               std::string replacement,
                                                               request_meta meta) {
  if (auto check = validate_password(replacement); !check)
    co_return check.error();
  auto user = co_await users_.find_by_id(who.user_id);
  if (!user)
    co_return user.error();
  // Wrong current passwords count like failed logins (same account key and source), so a
  // stolen session cannot be used to guess the password without limit.
  const std::string account = user->id.to_string();
  const std::string source = login_source(meta.client_ip);
  if (auto may = co_await may_try(account, source); !may)
    co_return may.error();
  bool current_ok = false;
  if (current.size() <= account_limits::password_max) {
    auto verified = co_await hashing_.verify(std::move(current), user->password_hash);
    if (!verified)
      co_return verified.error();
    current_ok = *verified;
  }
  if (!current_ok) {
    auto outcome = co_await guard_.record_failure(account, source);
    if (!outcome)
      co_return outcome.error();
    co_return make_error(errc::validation_failed, "current password is incorrect",
                         "current_password");
  }
  auto encoded = co_await hashing_.hash(std::move(replacement));
  if (!encoded)
    co_return encoded.error();
  auto changed = user_event("auth.password_changed", meta, who.user_id, who.user_id);
  auto stored = co_await users_.set_password(who.user_id, std::move(*encoded), std::move(changed));
  if (!stored)
    co_return stored.error();
  auto others = co_await sessions_.revoke_all_except(who.user_id, who.session_id);
  if (!others)
    co_return others.error();
  if (auth_.password_change_revokes_keys) {
    auto keys_gone = user_event("apikey.revoked", meta, who.user_id, who.user_id,
                                {{"reason", "password_changed"}});
    co_await keys_.revoke_all(who.user_id, std::move(keys_gone));
  }
  co_return result<void>{};
}

asio::awaitable<result<void>> account_service::request_password_reset(std::string email,
                                                                      request_meta meta) {
  if (auto check = validate_email(email); !check)
    co_return check.error();
  asio::co_spawn(co_await asio::this_coro::executor, send_reset(std::move(email), std::move(meta)),
                 log::log_failure{"password reset request failed"});
  co_return result<void>{};
}

asio::awaitable<void> account_service::send_reset(std::string email, request_meta meta) {
  auto user = co_await users_.find_by_email(email);
  if (!user || user->disabled)
    co_return;
  auto token = co_await resets_.issue(user->id);
  if (!token) {
    log::warn("password reset token not issued",
              {{"request_id", meta.request_id}, {"error", token.error().message}});
    co_return;
  }
  const auto expires =
      std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now()) +
      resets_.ttl();
  // The mailer needs the token to build the link, and only the mailer may read it: it travels
  // sealed (outbox row, broker, audit), bound to this user (adapters/crypto/sealed_box.hpp).
  const std::string user_id = user->id.to_string();
  boost::json::object details{
      {"email", user->email},
      {"username", user->username},
      {"token_sealed", crypto::seal(mail_token_key_, crypto::reset_token_purpose, user_id, *token)},
      {"expires_at", format_rfc3339(expires)}};
  auto event =
      user_event("auth.password_reset_requested", meta, std::nullopt, user->id, std::move(details));
  co_await users_.append_event(std::move(event));
}

asio::awaitable<result<void>> account_service::confirm_password_reset(std::string token,
                                                                      std::string password,
                                                                      request_meta meta) {
  if (auto check = validate_password(password); !check)
    co_return check.error();
  // Hashed before the token is used up: a busy hashing queue must not cost the user a token.
  auto encoded = co_await hashing_.hash(std::move(password));
  if (!encoded)
    co_return encoded.error();
  auto user_id = co_await resets_.consume(std::move(token));
  if (!user_id)
    co_return user_id.error();
  if (!*user_id)
    co_return make_error(errc::validation_failed, "reset token invalid, expired or already used",
                         "token");
  const uuid id = **user_id;
  auto reset = user_event("auth.password_reset", meta, std::nullopt, id);
  auto stored = co_await users_.set_password(id, std::move(*encoded), std::move(reset));
  if (!stored)
    co_return stored.error();
  auto revoked = co_await sessions_.revoke_all(id);
  if (!revoked)
    co_return revoked.error();
  // Account recovery: whoever held the account may have made keys; none survive it.
  auto keys_gone =
      user_event("apikey.revoked", meta, std::nullopt, id, {{"reason", "password_reset"}});
  co_await keys_.revoke_all(id, std::move(keys_gone));
  auto cleared = co_await guard_.clear(id.to_string());
  if (!cleared)
    co_return cleared.error();
  co_return result<void>{};
}

}  // namespace kemas::app
