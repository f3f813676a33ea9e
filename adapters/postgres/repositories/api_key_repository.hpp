#pragma once
// api_key_repository: API keys in PostgreSQL (table api_keys). A key is "kms_<prefix>_<secret>"
// (domain/credentials.hpp); only the prefix (unique, for lookup) and SHA-256(secret) hex are
// stored. The secret itself never reaches this layer.
//
// Contract (as user_repository.hpp): awaitables over pg_pool::run, the pool outlives the
// repository and its calls; errors a request can cause are kemas::error values;
// PostgreSQL unreachable or timing out THROWS kemas::backend_unavailable("postgres", ...)
// (except touch_last_used, which never throws); bugs propagate as exceptions.
//  - Owner scoping: list_for_user and revoke only ever see the given user's keys; another
//    user's key id is indistinguishable from one that does not exist (not_found).
//  - model::api_key carries secret_hash so the auth layer can compare it (in constant time).
//    Code that renders keys (JSON for GET /auth/keys) must leave secret_hash out.
//  - create and revoke write their event in the same transaction; the subject defaults to
//    {"api_key", <key id>} when the draft leaves it empty.

#include "adapters/postgres/outbox.hpp"
#include "adapters/postgres/repositories/query.hpp"
#include "domain/ports/api_key_store.hpp"
#include "domain/account.hpp"
#include "domain/result.hpp"
#include "domain/scope.hpp"
#include "domain/uuid.hpp"

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>
#include <vector>

namespace kemas::postgres {

class pg_pipeline;

class api_key_repository final : public ports::api_key_store {
 public:
  // `reads`: the api's pipeline (prepared_query.hpp), for the lookup every API-key request
  // makes and for touch_last_used; without one they run on the pool.
  explicit api_key_repository(pg_pool& pool, pg_pipeline* reads = nullptr)
      : pool_(pool), reads_(reads) {}

  // Stores the key and emits `event` (apikey.created). name: 1..100 characters; expires_at:
  // in the future, nullopt for never. not_found when the user does not exist; conflict
  // (field "prefix") when the prefix is taken — draw a new one and retry; validation_failed
  // naming "name" or "expires_at" when the database refuses the value.
  boost::asio::awaitable<result<model::api_key>> create(uuid user_id, std::string name,
                                                        std::string prefix, std::string secret_hash,
                                                        scope_set scopes,
                                                        std::optional<timestamp> expires_at,
                                                        model::event_draft event) override;

  // The user's keys, newest first, including revoked and expired ones (the caller decides
  // what to show). Empty for an unknown user.
  boost::asio::awaitable<std::vector<model::api_key>> list_for_user(uuid user_id) override;

  // Revokes the user's key and emits `event` (apikey.revoked). not_found when the key does not
  // exist, belongs to someone else, or is already revoked.
  boost::asio::awaitable<result<model::api_key>> revoke(uuid user_id, uuid key_id,
                                                        model::event_draft event) override;
  boost::asio::awaitable<std::size_t> revoke_all(uuid user_id, model::event_draft event) override;

  // The key with this prefix and its owner's role and disabled flag, in one query. Returned
  // whatever the key's state: the caller must check revoked_at, expires_at, owner_disabled
  // and the secret hash. not_found when no key has this prefix.
  boost::asio::awaitable<result<ports::api_key_lookup>> find_by_prefix(std::string prefix) override;

  // Records that the key was used now. Writes at most once a minute per key, so a busy key
  // costs no write per request. Never throws (a failure is logged): callers may spawn it
  // detached, as long as the repository outlives it. Returns true when the row was written.
  boost::asio::awaitable<bool> touch_last_used(uuid key_id) override;

 private:
  pg_pool& pool_;
  pg_pipeline* reads_;
};

}  // namespace kemas::postgres
