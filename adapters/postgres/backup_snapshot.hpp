#pragma once
// The database side of `kemas-admin backup` and `restore` (every statement here).
//
// backup_snapshot holds one REPEATABLE READ transaction open with an exported snapshot: the
// dump (pg_dump --snapshot) and the list of objects to copy are read from exactly the same
// data, so every live file row in the dump has its key in the list. Objects are immutable by
// key (generated, never overwritten), so copying them after the dump copies what the rows
// describe; a file deleted between the snapshot and the copy has no object any more, and
// restore marks such rows deleted (restore_fixups) instead of leaving them without bytes.
//
// Blocking, one thread; throws std::runtime_error (with the database's message) on failure.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "adapters/config/settings.hpp"

namespace kemas::postgres {

struct backup_object {
  std::string key;
  std::uint64_t size = 0;
  std::string sha256;  // of the bytes, as the upload recorded it
  std::string content_type;
};

class backup_snapshot {
 public:
  explicit backup_snapshot(const config::postgres_settings& settings);
  ~backup_snapshot();

  // For pg_dump --snapshot; valid while this object lives.
  const std::string& id() const noexcept { return id_; }
  // The objects of every file that is not deleted (active and locked), in key order, a page
  // of `page` rows per statement, each handed to `each`.
  void for_each_live_object(const std::function<void(const backup_object&)>& each,
                            unsigned page = 1000);

 private:
  struct session;
  std::unique_ptr<session> session_;
  std::string id_;
};

// After a restore: files whose object is not in the backup become deleted, and the owners'
// used_bytes and file_count are recomputed from their live files, in one transaction.
// Returns the number of rows marked deleted.
std::uint64_t restore_fixups(const config::postgres_settings& settings,
                             const std::vector<std::string>& keys_without_object);

// Every libpq setting for a child program (pg_dump, pg_restore) as environment variables
// (PGHOST, PGUSER, PGPASSWORD, ...): the password never appears on a command line.
std::vector<std::pair<std::string, std::string>> libpq_environment(
    const config::postgres_settings& settings, std::string_view application_name);

}  // namespace kemas::postgres
