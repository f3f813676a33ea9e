#pragma once
// user_repository: accounts in PostgreSQL (table users), with their events written to the
// outbox in the same transaction as the change.
//
// Contract:
//  - Every function is an awaitable over pg_pool::run: the SQL runs on a pool thread, the
//    caller resumes on its own executor. The repository holds a reference to the pool, which
//    must outlive it and every call in flight. Safe to use from many coroutines at once.
//  - Failures follow adapters/postgres/repositories/query.hpp: errors a request can cause are
//    kemas::error values; PostgreSQL unreachable or timing out THROWS
//    kemas::backend_unavailable("postgres", ...) (503); bugs propagate as exceptions.
//  - Lookups: e-mail AND username are case-insensitive ("Alice@X.org" finds "alice@x.org",
//    "Bob" finds "bob"), matching the unique lower() indexes of 0001_initial.sql, so nobody
//    can register a look-alike of an existing name. Stored values keep the case as typed.
//  - Changes (create, set_*) and their event commit together or not at all. The repository
//    fills what only it knows: the event's subject ({"user", <user id>}) when the draft
//    leaves it empty, and for set_role / set_disabled data.before / data.after with the old
//    and new value. Everything else in the draft is stored as given.
//  - A user_record carries password_hash: it is for the login check only; never render it.

#include "adapters/postgres/outbox.hpp"
#include "adapters/postgres/repositories/query.hpp"
#include "domain/account.hpp"
#include "domain/result.hpp"
#include "domain/uuid.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace kemas::postgres {

struct user_record {
  uuid id;
  std::string email;  // as the user typed it
  std::string username;
  std::string password_hash;  // Argon2id PHC string; secret, never rendered
  kemas::role role = role::user;
  std::string plan;  // plans.name: "free", "premium", ...
  std::optional<timestamp> plan_expires_at;
  std::int64_t used_bytes = 0;
  bool disabled = false;
  timestamp created_at{};
};

struct new_user {
  std::string email;  // validated by the caller (domain/account.hpp)
  std::string username;
  std::string password_hash;
  kemas::role role = role::user;
};

// The user after set_role / set_disabled; changed is false when it already had that value
// (then nothing was written and no event was emitted).
struct user_change {
  user_record user;
  bool changed = false;
};

class user_repository {
 public:
  explicit user_repository(pg_pool& pool) : pool_(pool) {}

  // New account on the Free plan, plus `event` (typically user.registered).
  // conflict with field "email" or "username" when taken (case-insensitively);
  // validation_failed naming the field when a database CHECK refuses a value.
  boost::asio::awaitable<result<user_record>> create(new_user user, event_draft event);

  // not_found when there is no such account (disabled accounts are found: the caller decides).
  boost::asio::awaitable<result<user_record>> find_by_email(std::string email);
  boost::asio::awaitable<result<user_record>> find_by_username(std::string username);
  boost::asio::awaitable<result<user_record>> find_by_id(uuid id);

  // Replaces the hash and emits `event` (auth.password_changed, auth.password_reset).
  // not_found when the user does not exist.
  boost::asio::awaitable<result<void>> set_password(uuid id, std::string password_hash,
                                                    event_draft event);

  // Emit `event` (user.disabled / user.enabled, user.role_changed) only when the value
  // changes. not_found when the user does not exist. Ending the user's sessions is the
  // caller's job (Redis), after this returns.
  boost::asio::awaitable<result<user_change>> set_disabled(uuid id, bool disabled,
                                                           event_draft event);
  boost::asio::awaitable<result<user_change>> set_role(uuid id, kemas::role role,
                                                       event_draft event);

  // A standalone event (auth.login, auth.login_failed, ...) in a transaction of its own.
  // The draft must name its subject.
  boost::asio::awaitable<void> append_event(event_draft event);

 private:
  pg_pool& pool_;
};

}  // namespace kemas::postgres
