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
//  - A model::user carries password_hash: it is for the login check only; never render it.

#include "adapters/postgres/outbox.hpp"
#include "adapters/postgres/repositories/query.hpp"
#include "domain/ports/user_store.hpp"
#include "domain/account.hpp"
#include "domain/result.hpp"
#include "domain/uuid.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace kemas::postgres {

class user_repository final : public ports::user_store {
 public:
  explicit user_repository(pg_pool& pool) : pool_(pool) {}

  // New account on the Free plan, plus `event` (typically user.registered).
  // conflict with field "email" or "username" when taken (case-insensitively);
  // validation_failed naming the field when a database CHECK refuses a value.
  boost::asio::awaitable<result<model::user>> create(ports::new_user user, model::event_draft event) override;

  // not_found when there is no such account (disabled accounts are found: the caller decides).
  boost::asio::awaitable<result<model::user>> find_by_email(std::string email) override;
  boost::asio::awaitable<result<model::user>> find_by_username(std::string username) override;
  boost::asio::awaitable<result<model::user>> find_by_id(uuid id) override;

  // Replaces the hash and emits `event` (auth.password_changed, auth.password_reset).
  // not_found when the user does not exist.
  boost::asio::awaitable<result<void>> set_password(uuid id, std::string password_hash,
                                                    model::event_draft event) override;

  // Emit `event` (user.disabled / user.enabled, user.role_changed) only when the value
  // changes. not_found when the user does not exist. Ending the user's sessions is the
  // caller's job (Redis), after this returns.
  boost::asio::awaitable<result<ports::user_change>> set_disabled(uuid id, bool disabled,
                                                           model::event_draft event) override;
  boost::asio::awaitable<result<ports::user_change>> set_role(uuid id, kemas::role role,
                                                       model::event_draft event) override;

  // A standalone event (auth.login, auth.login_failed, ...) in a transaction of its own.
  // The draft must name its subject.
  boost::asio::awaitable<void> append_event(model::event_draft event) override;

 private:
  pg_pool& pool_;
};

}  // namespace kemas::postgres
