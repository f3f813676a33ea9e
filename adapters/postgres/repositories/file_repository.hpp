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
#include "domain/quota.hpp"
#include "domain/result.hpp"
#include "domain/uuid.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kemas::postgres {

enum class file_state { active, locked, deleted };
std::string_view file_state_name(file_state s) noexcept;  // "active", "locked", "deleted"

struct file_record {
  uuid id;
  uuid owner_id;
  std::string name;
  std::string content_type;
  std::uint64_t size = 0;
  std::string sha256;  // 64 lower-hex
  std::string object_key;
  file_state state = file_state::active;
  // Microseconds since the epoch: the column's own precision, so a cursor made from it
  // compares exactly with the stored value.
  std::int64_t created_us = 0;
};

enum class file_sort {
  created_desc,  // newest first: created_at DESC, id DESC (the index's order)
  name_asc,      // by name in byte order (COLLATE "C"), then id ASC
};

// Where the previous page ended: for created_desc `created_us`, for name_asc `name`; plus id.
struct file_position {
  std::int64_t created_us = 0;
  std::string name;
  uuid id;
};

struct file_list_query {
  uuid owner;
  file_sort sort = file_sort::created_desc;
  unsigned limit = 50;                 // rows wanted (1..1000; the caller validates)
  std::string prefix;                  // names starting with this (byte-wise); empty: all
  std::optional<file_position> after;  // nullopt: the first page
};

struct file_list {
  std::vector<file_record> files;  // at most `limit`
  bool more = false;               // another page follows the last row
  std::int64_t total = 0;          // the owner's active + locked files (ignores prefix)
  std::int64_t used_bytes = 0;     // users.used_bytes
  std::int64_t quota_bytes = 0;    // the quota of the plan in force now (user_limits)
};

// An account whose paid plan is past due but not yet downgraded by the `expire` command:
// the quota in force (the free plan's) and every non-deleted file, for plan_locks().
struct past_due_storage {
  std::uint64_t quota_bytes = 0;
  std::vector<quota_file> files;
};

class file_repository {
 public:
  explicit file_repository(pg_pool& pool) : pool_(pool) {}

  // A page of the owner's non-deleted files with the owner's totals, read in one
  // REPEATABLE READ transaction so the counts and the page agree.
  boost::asio::awaitable<file_list> list(file_list_query query);

  // The owner's non-deleted file (active or locked); not_found otherwise.
  boost::asio::awaitable<result<file_record>> find(uuid owner, uuid file_id);

  // Renames the owner's non-deleted file. not_found as find; conflict (field "name") when
  // another of the owner's live files has that name; validation_failed (field "name") when
  // the database refuses it. The caller validates the name first (domain/file_name.hpp).
  boost::asio::awaitable<result<file_record>> rename(uuid owner, uuid file_id, std::string name);

  // nullopt while the owner's plan is in force (the common case: one indexed read); else the
  // owner's files with the free quota, read in one REPEATABLE READ transaction.
  boost::asio::awaitable<std::optional<past_due_storage>> past_due(uuid owner);

 private:
  pg_pool& pool_;
};

}  // namespace kemas::postgres
