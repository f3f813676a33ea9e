#pragma once
// upload_repository: the api's side of table uploads, and the storage numbers an upload is
// checked against before its body is read. The worker settles an upload (committed or
// rejected, workers/handlers/file_store_tx.cpp); the api creates it, reads it while it
// waits, and rejects it itself only when its command could not be published.
//
// Contract as file_repository.hpp (query.hpp): awaitables over pg_pool::run, owner scoping
// on every query (another user's upload id is not_found), PostgreSQL unreachable throws
// kemas::backend_unavailable.

#include "adapters/postgres/repositories/query.hpp"
#include "domain/result.hpp"
#include "domain/uuid.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace kemas::postgres {

// The owner's usage and the limits of the plan in force now (view user_limits: a paid plan
// past its expiry already counts as free).
struct storage_limits {
  std::uint64_t used_bytes = 0;
  std::uint64_t quota_bytes = 0;
  std::uint64_t max_file_bytes = 0;
};

enum class upload_state { pending, committed, rejected };
std::string_view upload_state_name(upload_state s) noexcept;  // "pending", ...

struct upload_record {
  uuid id;
  upload_state state = upload_state::pending;
  std::string reason;          // rejected only: quota_exceeded, too_large, name_taken, ...
  std::optional<uuid> file_id;  // committed only
  timestamp created_at{};
};

class upload_repository {
 public:
  explicit upload_repository(pg_pool& pool) : pool_(pool) {}

  // not_found when the user does not exist (deleted meanwhile).
  boost::asio::awaitable<result<storage_limits>> limits(uuid owner);

  // True when one of the owner's live files has this name (an early 409; the worker's
  // unique index is what decides).
  boost::asio::awaitable<bool> name_in_use(uuid owner, std::string name);

  // Inserts the upload as pending. Called once the body is stored, before publishing.
  boost::asio::awaitable<void> create_pending(uuid owner, uuid upload_id);

  boost::asio::awaitable<result<upload_record>> find(uuid owner, uuid upload_id);

  // Marks the upload rejected with `reason` if it is still pending. Returns the upload as it
  // is afterwards: a worker that settled it first wins (the command was delivered after all).
  boost::asio::awaitable<result<upload_record>> reject_if_pending(uuid owner, uuid upload_id,
                                                                  std::string reason);

 private:
  pg_pool& pool_;
};

}  // namespace kemas::postgres
