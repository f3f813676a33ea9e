#pragma once
// file_store: the api's reads of a user's files (list, metadata) and the one change it makes
// itself, rename; uploads and deletes go through commands and the workers. Contract as
// user_store.hpp. Owner scoping: every call takes the owner; another user's file id is
// indistinguishable from one that does not exist (not_found); deleted files are never
// returned. Implemented by adapters/postgres (file_repository) and in memory.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/model/file.hpp"
#include "domain/ports/async.hpp"
#include "domain/quota.hpp"
#include "domain/result.hpp"

namespace kemas::ports {

enum class file_sort {
  created_desc,  // newest first: created_at DESC, id DESC
  name_asc,      // by name in byte order, then id ASC
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
  std::string prefix;                  // names starting with these bytes; empty: all
  std::optional<file_position> after;  // nullopt: the first page
};

struct file_list {
  std::vector<model::file> files;  // at most `limit`; object_key left empty (not shown)
  bool more = false;               // another page follows the last row
  std::int64_t total = 0;          // the owner's active + locked files (ignores prefix)
  std::int64_t used_bytes = 0;
  std::int64_t quota_bytes = 0;  // of the plan in force now
};

// An account whose paid plan is past due but not yet downgraded by the `expire` command: the
// quota in force (the free plan's) and every non-deleted file, for plan_locks().
struct past_due_storage {
  std::uint64_t quota_bytes = 0;
  std::vector<quota_file> files;
};

class file_store {
 public:
  virtual ~file_store() = default;

  // A page of the owner's files (keyset paging: `after` is where the previous page ended, so
  // no page repeats or skips a row), with the owner's totals read consistently with it.
  virtual async<file_list> list(file_list_query query) = 0;

  // The owner's non-deleted file (active or locked); not_found otherwise.
  virtual async<result<model::file>> find(uuid owner, uuid file_id) = 0;

  // not_found as find; conflict (field "name") when another live file of the owner has the
  // name; validation_failed (field "name") when the store refuses it. The caller validates
  // the name first (domain/file_name.hpp).
  virtual async<result<model::file>> rename(uuid owner, uuid file_id, std::string name) = 0;

  // nullopt while the owner's plan is in force (the common case); else the owner's files with
  // the free quota, read consistently.
  virtual async<std::optional<past_due_storage>> past_due(uuid owner) = 0;
};

}  // namespace kemas::ports
