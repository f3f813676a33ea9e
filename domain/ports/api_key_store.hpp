#pragma once
// api_key_store: developers' API keys (DESIGN.md "Data": api_keys). Only the prefix and
// SHA-256 of the secret are stored; the secret never reaches a store. Contract as
// user_store.hpp; owner scoping: another user's key id is indistinguishable from one that
// does not exist (not_found). Implemented by adapters/postgres (api_key_repository) and in
// memory for unit tests.

#include <optional>
#include <string>
#include <vector>

#include "domain/account.hpp"
#include "domain/model/api_key.hpp"
#include "domain/model/event.hpp"
#include "domain/ports/async.hpp"
#include "domain/result.hpp"

namespace kemas::ports {

// find_by_prefix's answer: the key and what authentication needs to know about its owner.
struct api_key_lookup {
  model::api_key key;
  kemas::role owner_role = role::user;
  bool owner_disabled = false;
};

class api_key_store {
 public:
  // list_for_user returns at most this many keys (the newest).
  static constexpr int list_limit = 1000;

  virtual ~api_key_store() = default;

  // Stores the key and emits `event` (apikey.created). not_found when the user does not
  // exist; conflict (field "prefix") when the prefix is taken — draw a new one and retry;
  // validation_failed naming "name" or "expires_at" when the store refuses the value.
  virtual async<result<model::api_key>> create(uuid user_id, std::string name, std::string prefix,
                                               std::string secret_hash, scope_set scopes,
                                               std::optional<timestamp> expires_at,
                                               model::event_draft event) = 0;

  // The user's keys, newest first, including revoked and expired ones.
  virtual async<std::vector<model::api_key>> list_for_user(uuid user_id) = 0;

  // Revokes the user's key and emits `event` (apikey.revoked). not_found when the key does
  // not exist, belongs to someone else, or is already revoked.
  virtual async<result<model::api_key>> revoke(uuid user_id, uuid key_id,
                                               model::event_draft event) = 0;

  // Revokes every live key of the user in one statement and, when there was one, emits
  // `event` (apikey.revoked, subject the user, data.count added). Returns how many.
  virtual async<std::size_t> revoke_all(uuid user_id, model::event_draft event) = 0;

  // The key with this prefix, whatever its state, with its owner's role and disabled flag:
  // the caller checks revoked_at, expires_at, owner_disabled and the secret.
  virtual async<result<api_key_lookup>> find_by_prefix(std::string prefix) = 0;

  // Records that the key was used now (at most once a minute per key). Never throws.
  // Returns true when it wrote.
  virtual async<bool> touch_last_used(uuid key_id) = 0;
};

}  // namespace kemas::ports
