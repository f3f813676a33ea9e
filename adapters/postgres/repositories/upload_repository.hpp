#pragma once
// upload_repository: the api's side of table uploads, and the storage numbers an upload is
// checked against before its body is read. The worker settles an upload (committed or
// rejected, adapters/postgres/commands/file_command_store.cpp); the api creates it, reads it while it
// waits, and rejects it itself only when its command could not be published.
//
// Contract as file_repository.hpp (query.hpp): awaitables over pg_pool::run, owner scoping
// on every query (another user's upload id is not_found), PostgreSQL unreachable throws
// kemas::backend_unavailable.

#include "adapters/postgres/repositories/query.hpp"
#include "domain/ports/upload_store.hpp"
#include "domain/result.hpp"
#include "domain/uuid.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace kemas::postgres {

class pg_pipeline;

class upload_repository final : public ports::upload_store {
 public:
  // `pipeline` (optional) carries the statements every upload runs; others use the pool.
  explicit upload_repository(pg_pool& pool, pg_pipeline* pipeline = nullptr)
      : pool_(pool), pipeline_(pipeline) {}

  // not_found when the user does not exist (deleted meanwhile).
  boost::asio::awaitable<result<ports::upload_limits>> limits(uuid owner,
                                                              std::string name) override;

  // True when one of the owner's live files has this name (an early 409; the worker's
  // unique index is what decides).

  // Inserts the upload as pending. Called once the body is stored, before publishing.
  boost::asio::awaitable<void> create_pending(uuid owner, uuid upload_id) override;
  boost::asio::awaitable<void> hold_object(uuid owner, uuid upload_id, std::string object_key,
                                           std::optional<std::string> multipart_upload_id,
                                           std::chrono::milliseconds abandon_after) override;
  boost::asio::awaitable<void> release_object(uuid owner, std::string object_key) override;

  boost::asio::awaitable<result<ports::upload_record>> find(uuid owner, uuid upload_id) override;

  // Marks the upload rejected with `reason` if it is still pending. Returns the upload as it
  // is afterwards: a worker that settled it first wins (the command was delivered after all).
  boost::asio::awaitable<result<model::upload>> reject_if_pending(uuid owner, uuid upload_id,
                                                                  model::rejection_reason reason) override;

 private:
  pg_pool& pool_;
  pg_pipeline* pipeline_;
};

}  // namespace kemas::postgres
