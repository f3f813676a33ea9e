#pragma once
// account_service: the account flows behind /api/v1/user/* and /api/v1/auth/* — register,
// login, refresh, logout, password change and reset. Decisions come from domain/ (validation,
// credential formats); state lives in PostgreSQL (users, outbox events) and Redis (sessions,
// lockouts, reset tokens); password hashing runs on its own threads, never on an I/O thread.
//
// Errors are kemas::error values: validation_failed (naming the field), conflict, unauthenticated
// (the same message for an unknown account and a wrong password), forbidden (disabled account),
// rate_limited (account locked, with retry_after_ms), backend_unavailable. PostgreSQL loss may
// also throw kemas::backend_unavailable (the HTTP layer answers 503 either way).

#include <chrono>
#include <optional>
#include <string>

#include "adapters/config/settings.hpp"
#include "adapters/postgres/repositories/user_repository.hpp"
#include "domain/principal.hpp"
#include "domain/result.hpp"

namespace kemas::support {
class blocking_pool;
}
namespace kemas::crypto {
class jwt_codec;
}
namespace kemas::redis {
class session_store;
class login_guard;
class reset_tokens;
}  // namespace kemas::redis

namespace kemas::app {

// Who asked, for events and logs.
struct request_meta {
  std::string request_id;
  std::string client_ip;
};

struct token_pair {
  std::string access_token;
  std::string refresh_token;
  std::int64_t expires_in = 0;  // seconds until the access token expires
};

struct login_success {
  postgres::user_record user;
  token_pair tokens;
};

class account_service {
 public:
  account_service(const config::auth_settings& auth, support::blocking_pool& hashing,
                  postgres::user_repository& users, redis::session_store& sessions,
                  redis::login_guard& guard, redis::reset_tokens& resets,
                  const crypto::jwt_codec& jwt);

  boost::asio::awaitable<result<postgres::user_record>> register_user(std::string email,
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
  boost::asio::awaitable<result<postgres::user_record>> me(const principal& who);
  // Checks the current password, stores the new one, ends the user's other sessions.
  boost::asio::awaitable<result<void>> change_password(const principal& who, std::string current,
                                                       std::string replacement, request_meta meta);
  // Never tells whether the account exists: the work for a real account runs detached.
  boost::asio::awaitable<result<void>> request_password_reset(std::string email, request_meta meta);
  boost::asio::awaitable<result<void>> confirm_password_reset(std::string token,
                                                              std::string password,
                                                              request_meta meta);

  // Computes the dummy hash that unknown-account logins verify against (call once at start).
  boost::asio::awaitable<void> warm_up();

 private:
  boost::asio::awaitable<std::string> hash(std::string password);
  boost::asio::awaitable<bool> verify(std::string password, std::string encoded);
  boost::asio::awaitable<result<token_pair>> open_session(const postgres::user_record& user,
                                                          const request_meta& meta);
  boost::asio::awaitable<void> send_reset(std::string email, request_meta meta);

  config::auth_settings auth_;
  support::blocking_pool& hashing_;
  postgres::user_repository& users_;
  redis::session_store& sessions_;
  redis::login_guard& guard_;
  redis::reset_tokens& resets_;
  const crypto::jwt_codec& jwt_;
};

}  // namespace kemas::app
