#pragma once
// What the file command handlers share: the PostgreSQL pool and the S3 client, plus the
// two steps both handlers need — run a transaction, classifying a failure into a
// handler_result, and remove an object after a commit (best effort).
//
// Threading: everything here blocks and runs on a worker handler thread (never an Asio
// I/O thread). pg_pool and s3_client are safe to share between handler threads.

#include "adapters/postgres/pool.hpp"
#include "adapters/s3/client.hpp"
#include "workers/handler_registry.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace kemas::worker {

struct file_ports {
  std::shared_ptr<postgres::pg_pool> db;
  std::shared_ptr<s3::s3_client> objects;
};

// Runs `work` on a pool session. On an exception returns the handler_result for it:
// retry for transient faults (connection, timeout, serialization), reject otherwise (a
// constraint the payload violates, or a bug: retrying cannot help). Otherwise nullopt and
// `work` has run.
std::optional<handler_result> run_transaction(postgres::pg_pool& db,
                                              const std::function<void(soci::session&)>& work,
                                              std::string_view what);

// Deletes `key` after a commit, a few quick attempts on transient faults. Never throws; a
// final failure is logged with the request id (the object is then an orphan for a sweep).
void remove_object_after_commit(s3::s3_client& objects, const std::string& key,
                                std::string_view request_id, std::string_view command_id);

}  // namespace kemas::worker
