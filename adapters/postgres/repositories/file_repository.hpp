#pragma once
// file_repository: the api's reads of table files (list, metadata) and the one write it does
// itself, rename. Uploads and deletes go through commands and the worker.
//
// Contract (as user_repository.hpp, see query.hpp): awaitables over pg_pool::run; the pool
// outlives the repository and its calls; failures a request can cause are kemas::error
// values; PostgreSQL unreachable THROWS kemas::backend_unavailable("postgres", ...).
//  - Owner scoping: every query has owner_id in its WHERE. Another user's file id is
//    indistinguishable from one that does not exist (not_found). Deleted files are never
//    returned.
//  - Listing is keyset paging: `after` is the (sort key, id) of the last row of the previous
//    page, so a page never repeats or skips a row that existed before the first page, whatever
//    is inserted or deleted meanwhile.

#include "adapters/postgres/repositories/query.hpp"
#include "domain/ports/file_store.hpp"
#include "domain/quota.hpp"
#include "domain/result.hpp"
#include "domain/uuid.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kemas::postgres {

class pg_pipeline;

class file_repository final : public ports::file_store {
 public:
  // `reads` (may be null) pipelines the list from the I/O loop instead of the pool.
  explicit file_repository(pg_pool& pool, pg_pipeline* reads = nullptr)
      : pool_(pool), reads_(reads) {}

  // A page of the owner's non-deleted files with the owner's totals, in one statement (one
  // snapshot, so the counts and the page agree).
  boost::asio::awaitable<ports::file_list> list(ports::file_list_query query) override;

  // The owner's non-deleted file (active or locked); not_found otherwise.
  boost::asio::awaitable<result<model::file>> find(uuid owner, uuid file_id) override;

  // Renames the owner's non-deleted file. not_found as find; conflict (field "name") when
  // another of the owner's live files has that name; validation_failed (field "name") when
  // the database refuses it. The caller validates the name first (domain/file_name.hpp).
  boost::asio::awaitable<result<model::file>> rename(uuid owner, uuid file_id, std::string name) override;

  // nullopt while the owner's plan is in force (the common case: one indexed read); else the
  // owner's files with the free quota, read in one REPEATABLE READ transaction.
  boost::asio::awaitable<std::optional<ports::past_due_storage>> past_due(uuid owner) override;

 private:
  pg_pool& pool_;
  pg_pipeline* reads_;
};

}  // namespace kemas::postgres
