#pragma once
// user_store: accounts (DESIGN.md "Data": users), with their events committed in the same
// transaction as the change. Implemented by adapters/postgres (user_repository) and in
// memory for unit tests.
//
// Contract (every asynchronous store of this folder follows it):
//  - Failures a request can cause are kemas::error values in the result; the store being
//    unreachable or timing out THROWS kemas::backend_unavailable (the HTTP layer answers 503).
//  - Lookups by e-mail AND username are case-insensitive ("Alice@X.org" finds
//    "alice@x.org"); stored values keep the case as typed.
//  - Changes and their event commit together or not at all. The store fills what only it
//    knows: the event's subject ({"user", <id>}) when the draft leaves it empty, and for
//    set_role / set_disabled data.before / data.after with the old and new value.

#include <optional>
#include <string>

#include "domain/model/event.hpp"
#include "domain/model/user.hpp"
#include "domain/ports/async.hpp"
#include "domain/result.hpp"

namespace kemas::ports {

struct new_user {
  std::string email;  // validated by the caller (domain/account.hpp)
  std::string username;
  std::string password_hash;
  kemas::role role = role::user;
};

// The user after set_role / set_disabled; changed is false when it already had that value
// (then nothing was written and no event was emitted).
struct user_change {
  model::user user;
  bool changed = false;
};

class user_store {
 public:
  virtual ~user_store() = default;

  // A new account on the free plan, plus `event` (user.registered). conflict with field
  // "email" or "username" when taken (case-insensitively); validation_failed naming the field
  // when the store refuses a value.
  virtual async<result<model::user>> create(new_user user, model::event_draft event) = 0;

  // not_found when there is no such account (disabled accounts are found: the caller decides).
  virtual async<result<model::user>> find_by_email(std::string email) = 0;
  virtual async<result<model::user>> find_by_username(std::string username) = 0;
  virtual async<result<model::user>> find_by_id(uuid id) = 0;

  // Replaces the hash and emits `event`. not_found when the user does not exist.
  virtual async<result<void>> set_password(uuid id, std::string password_hash,
                                           model::event_draft event) = 0;
  // Emit `event` only when the value changes. not_found when the user does not exist.
  virtual async<result<user_change>> set_disabled(uuid id, bool disabled,
                                                  model::event_draft event) = 0;
  virtual async<result<user_change>> set_role(uuid id, kemas::role role,
                                              model::event_draft event) = 0;

  // A standalone event (auth.login, auth.login_failed, ...). The draft must name its subject.
  virtual async<void> append_event(model::event_draft event) = 0;
};

}  // namespace kemas::ports
