#pragma once
// account_service: the account flows behind /api/v1/user/* and /api/v1/auth/* — register,
// login, refresh, logout, password change and reset. Decisions come from domain/ (validation,
// credential formats); state lives in PostgreSQL (users, outbox events) and Redis (sessions,
// lockouts, reset tokens); password hashing runs on its own threads, never on an I/O thread.
//
// Errors are kemas::error values: validation_failed (naming the field), conflict, unauthenticated
// (the same message for an unknown account and a wrong password), forbidden (disabled account),
// rate_limited (this source locked out of the account, with retry_after_ms),
// backend_unavailable (also when the hashing queue is full, with retry_after_ms). PostgreSQL loss may
// also throw kemas::backend_unavailable (the HTTP layer answers 503 either way).

#include <atomic>
#include <chrono>
#include <optional>
#include <string>

#include "adapters/config/settings.hpp"
#include "domain/ports/api_key_store.hpp"
#include "domain/ports/login_guard.hpp"
#include "domain/ports/reset_tokens.hpp"
#include "domain/ports/session_store.hpp"
#include "domain/ports/user_store.hpp"
#include "domain/model/event.hpp"
#include "domain/principal.hpp"
#include "domain/result.hpp"
#include "app/services/password_hashing.hpp"

namespace kemas::crypto {
class jwt_codec;
}
namespace kemas::app {

// Who asked, for events and logs.
struct request_meta {
  std::string request_id;
  std::string client_ip;
  std::string user_agent;  // at most 256 characters, control characters removed; may be empty
};

// The draft of an event a request caused: what, its request id, who did it (nullopt: nobody
// signed in, e.g. a share link's downloader) from which address, and the subject's type.
inline model::event_draft request_event(std::string type, const request_meta& meta,
                                        std::optional<uuid> actor, std::string subject_type = {}) {
  model::event_draft e;
  e.type = std::move(type);
  e.request_id = meta.request_id;
  e.actor_user = actor;
  e.actor_ip = meta.client_ip;
  e.subject_type = std::move(subject_type);
  return e;
}

struct token_pair {
  std::string access_token;
  std::string refresh_token;
  std::int64_t expires_in = 0;  // seconds until the access token expires
};

struct login_success {
  model::user user;
  token_pair tokens;
};

class account_service {
 public:
  account_service(const config::auth_settings& auth, password_hashing& hashing,
                  ports::user_store& users, ports::session_store& sessions,
                  ports::login_guard& guard, ports::reset_tokens& resets,
                  const crypto::jwt_codec& jwt, ports::api_key_store& keys,
                  std::string mail_token_key);

  boost::asio::awaitable<result<model::user>> register_user(std::string email,
                                                                      std::string username,
                                                                      std::string password,
                                                                      request_meta meta);
  // `login` is an e-mail address (contains '@') or a username.
  boost::asio::awaitable<result<login_success>> login(std::string login, std::string password,
                                                      request_meta meta);
  // Rotates the refresh token; an already-rotated token ends its whole session.
  boost::asio::awaitable<result<token_pair>> refresh(std::string refresh_token, request_meta meta);
  boost::asio::awaitable<result<void>> logout(const principal& who, request_meta meta);
  boost::asio::awaitable<result<std::size_t>> logout_all(const principal& who, request_meta meta);
  boost::asio::awaitable<result<model::user>> me(const principal& who);
  // Checks the current password, stores the new one, ends the user's other sessions and, with
  // auth.password_change_revokes_keys (the default), revokes their API keys.
  boost::asio::awaitable<result<void>> change_password(const principal& who, std::string current,
                                                       std::string replacement, request_meta meta);
  // Never tells whether the account exists: the work for a real account runs detached.
  boost::asio::awaitable<result<void>> request_password_reset(std::string email, request_meta meta);
  // Sets the new password, ends every session and revokes every API key (account recovery).
  boost::asio::awaitable<result<void>> confirm_password_reset(std::string token,
                                                              std::string password,
                                                              request_meta meta);

  // Computes the dummy hash that unknown-account logins verify against (call once at start).
  boost::asio::awaitable<void> warm_up();

 private:
  // rate_limited (with retry_after_ms) while `source` is locked out of `account`.
  boost::asio::awaitable<result<void>> may_try(const std::string& account,
                                               const std::string& source);
  boost::asio::awaitable<void> append_later(model::event_draft event);
  boost::asio::awaitable<result<token_pair>> open_session(const model::user& user,
                                                          const request_meta& meta);
  boost::asio::awaitable<void> send_reset(std::string email, request_meta meta);

  config::auth_settings auth_;
  password_hashing& hashing_;  // bounded: beyond its queue, backend_unavailable
  ports::user_store& users_;
  ports::session_store& sessions_;
  ports::login_guard& guard_;
  ports::reset_tokens& resets_;
  const crypto::jwt_codec& jwt_;
  ports::api_key_store& keys_;  // revoked on recovery (and on a password change, by default)
  std::string mail_token_key_;  // seals the reset token for the mailer (mail.token_key)
  unsigned hash_capacity_;
};

}  // namespace kemas::app
