#include "adapters/postgres/commands/file_command_store.hpp"

#include <soci/soci.h>

#include "adapters/postgres/commands/command_tx.hpp"
#include "adapters/postgres/repositories/query.hpp"

namespace kemas::postgres {
namespace {

using ports::upload_commit;

// FOR UPDATE: two copies of one command (or two commands for one upload) serialize here.
constexpr const char* lock_upload_sql =
    "SELECT state, owner_id::text FROM uploads WHERE id = CAST(:upload_id AS uuid) FOR UPDATE";

// The limits of the plan in force now (user_limits: a paid plan past its plan_expires_at
// counts as free at once, before any expire ran). The owner's row is locked here, before the
// file row exists: an expire or upgrade of the owner (which lock the same row) runs wholly
// before or after this commit, so the files it locks or unlocks are the files that exist,
// and the quota below (read by a later statement, after the lock) is the one in force.
constexpr const char* plan_limits_sql =
    "SELECT l.max_file_bytes FROM users u JOIN user_limits l ON l.user_id = u.id "
    "WHERE u.id = CAST(:owner_id AS uuid) FOR UPDATE OF u";

// The partial unique index files_owner_name_live_key decides name_taken without an error
// (an error would abort the whole transaction).
constexpr const char* insert_file_sql =
    "INSERT INTO files (id, owner_id, name, content_type, size_bytes, sha256, object_key) "
    "VALUES (CAST(:file_id AS uuid), CAST(:owner_id AS uuid), :name, :content_type, :size, "
    "        :sha256, :object_key) "
    "ON CONFLICT (owner_id, name) WHERE state <> 'deleted' DO NOTHING RETURNING id::text";

// The one statement that makes the quota exact: the row lock on users serializes
// concurrent uploads of one owner and the condition is re-evaluated on the locked row. It
// counts the file too (users.file_count: the list's total without count(*)).
// Bytes reserved by running tus uploads count against the quota too; a tus upload's own
// reservation (its tus_uploads row goes here, with its parts) turns into use.
constexpr const char* add_usage_sql =
    "WITH tus AS (DELETE FROM tus_uploads WHERE id = CAST(:upload_id AS uuid) "
    " RETURNING reserved_bytes), "
    "own AS (SELECT coalesce((SELECT reserved_bytes FROM tus), 0) AS r) "
    "UPDATE users u SET used_bytes = u.used_bytes + :added, file_count = u.file_count + 1, "
    "reserved_bytes = u.reserved_bytes - own.r "
    "FROM user_limits l, own WHERE u.id = CAST(:owner_id AS uuid) AND l.user_id = u.id "
    "AND u.used_bytes + u.reserved_bytes - own.r + :added_again <= l.quota_bytes "
    "RETURNING u.used_bytes";

constexpr const char* commit_upload_sql =
    "UPDATE uploads SET state = 'committed', reason = NULL, file_id = CAST(:file_id AS uuid) "
    "WHERE id = CAST(:upload_id AS uuid)";

constexpr const char* reject_upload_sql =
    "UPDATE uploads SET state = 'rejected', reason = :reason WHERE id = CAST(:upload_id AS uuid)";

// Schedules the object's removal unless a live file references it (a row only when
// scheduled). An earlier due time (the api's claim, due at its abandon time) moves to now.
constexpr const char* release_object_sql =
    "INSERT INTO object_cleanup (object_key, due_at) SELECT CAST(:key AS text), now() "
    "WHERE NOT EXISTS (SELECT 1 FROM files WHERE object_key = :key_again AND state <> 'deleted') "
    "ON CONFLICT (object_key) DO UPDATE SET due_at = LEAST(object_cleanup.due_at, now()) "
    "RETURNING 1";

constexpr const char* schedule_removal_sql =
    "INSERT INTO object_cleanup (object_key, due_at) VALUES (:key, now()) "
    "ON CONFLICT (object_key) DO UPDATE SET due_at = LEAST(object_cleanup.due_at, now())";

// A deleted file's share links stop at once (the public route also checks the file's state)
// and no longer count toward the owner's plan limit of live links.
constexpr const char* revoke_file_shares_sql =
    "UPDATE share_links SET revoked_at = now() WHERE file_id = CAST(:file_id AS uuid) "
    "AND revoked_at IS NULL";

// A refused tus upload ends here: its row and parts go, its reservation is released.
constexpr const char* end_tus_upload_sql =
    "WITH t AS (DELETE FROM tus_uploads WHERE id = CAST(:upload_id AS uuid) "
    " RETURNING owner_id, reserved_bytes) "
    "UPDATE users u SET reserved_bytes = u.reserved_bytes - t.reserved_bytes FROM t "
    "WHERE u.id = t.owner_id";

constexpr const char* forget_removal_sql = "DELETE FROM object_cleanup WHERE object_key = :key";

constexpr const char* soft_delete_sql =
    "UPDATE files SET state = 'deleted', deleted_at = now() "
    "WHERE id = CAST(:file_id AS uuid) AND owner_id = CAST(:owner_id AS uuid) "
    "AND state <> 'deleted' RETURNING size_bytes, object_key, name";

constexpr const char* remove_usage_sql =
    "UPDATE users SET used_bytes = used_bytes - :removed, file_count = file_count - 1 "
    "WHERE id = CAST(:owner_id AS uuid)";

// State of the locked uploads row; empty when there is none or it is not the owner's.
std::string lock_upload(soci::session& sql, const commands::upload& upload) {
  const std::string upload_id = upload.upload_id.to_string();
  std::string state;
  std::string owner;
  sql << lock_upload_sql, soci::use(upload_id), soci::into(state), soci::into(owner);
  if (!sql.got_data() || owner != upload.owner.to_string())
    return {};
  return state;
}

// True when scheduled (no live file references the key).
bool release(soci::session& sql, const std::string& object_key) {
  int scheduled = 0;
  sql << release_object_sql, soci::use(object_key), soci::use(object_key), soci::into(scheduled);
  return sql.got_data();
}

upload_commit commit(soci::session& sql, const commands::envelope& envelope,
                     const commands::upload& upload) {
  using kind = upload_commit::kind;
  using model::rejection_reason;
  soci::transaction tx(sql);
  // First, before the upload's lock: the object cleaner locks a claim before the upload it
  // abandons, so taking them in the same order cannot deadlock. Any outcome but `committed`
  // rolls this back with the rest. Inline bodies had no claim.
  if (!upload.inline_body)
    sql << forget_removal_sql, soci::use(upload.object_key);
  const std::string state = lock_upload(sql, upload);
  if (state.empty())
    return {kind::no_upload};
  if (state != "pending")
    return {kind::already_settled};

  const std::string owner_id = upload.owner.to_string();
  long long max_file_bytes = 0;
  sql << plan_limits_sql, soci::use(owner_id), soci::into(max_file_bytes);
  if (!sql.got_data())
    return {kind::no_upload};
  const auto size = static_cast<long long>(upload.size);
  if (size > max_file_bytes)
    return {kind::refused, rejection_reason::too_large};

  const std::string file_id = upload.file_id.to_string();
  std::string inserted;
  sql << insert_file_sql, soci::use(file_id), soci::use(owner_id), soci::use(upload.name),
      soci::use(upload.content_type), soci::use(size), soci::use(upload.sha256),
      soci::use(upload.object_key), soci::into(inserted);
  if (!sql.got_data())
    return {kind::refused, rejection_reason::name_taken};  // the destructor rolls back

  const std::string upload_id = upload.upload_id.to_string();
  long long used_after = 0;
  sql << add_usage_sql, soci::use(upload_id), soci::use(size), soci::use(owner_id),
      soci::use(size), soci::into(used_after);
  if (!sql.got_data())
    return {kind::refused, rejection_reason::quota_exceeded};  // rolls back the file row too

  sql << commit_upload_sql, soci::use(file_id), soci::use(upload_id);
  command_tx::record(sql, envelope.id, "committed");
  command_tx::signal_settled(sql, upload_id);
  auto event = command_tx::draft_for(envelope, "file.uploaded", "file", file_id);
  event.data = {{"name", upload.name},
                {"size", size},
                {"sha256", upload.sha256},
                {"content_type", upload.content_type},
                {"upload_id", upload_id}};
  append_event(sql, event);
  tx.commit();
  return {kind::committed};
}

ports::rejection_record reject(soci::session& sql, const commands::envelope& envelope,
                               const commands::upload& upload, model::rejection_reason reason) {
  soci::transaction tx(sql);
  ports::rejection_record out;
  const std::string state = lock_upload(sql, upload);
  out.object_in_use = !release(sql, upload.object_key);
  if (state != "pending") {
    tx.commit();  // settled by another copy, or no such upload: only the object's fate
    return out;
  }
  const std::string upload_id = upload.upload_id.to_string();
  const std::string reason_name(model::to_string(reason));
  sql << reject_upload_sql, soci::use(reason_name), soci::use(upload_id);
  sql << end_tus_upload_sql, soci::use(upload_id);
  command_tx::record(sql, envelope.id, "rejected");
  command_tx::signal_settled(sql, upload_id);
  auto event = command_tx::draft_for(envelope, "upload.rejected", "upload", upload_id);
  event.data = {{"reason", reason_name},
                {"name", upload.name},
                {"size", static_cast<long long>(upload.size)},
                {"file_id", upload.file_id.to_string()}};
  append_event(sql, event);
  tx.commit();
  out.recorded = true;
  return out;
}

ports::file_deletion soft_delete(soci::session& sql, const commands::envelope& envelope,
                                 const commands::delete_file& request) {
  soci::transaction tx(sql);
  ports::file_deletion out;
  if (command_tx::processed(sql, envelope.id))
    return out;
  const std::string file_id = request.file_id.to_string();
  const std::string owner_id = request.owner.to_string();
  long long size = 0;
  sql << soft_delete_sql, soci::use(file_id), soci::use(owner_id), soci::into(size),
      soci::into(out.object_key), soci::into(out.name);
  if (!sql.got_data()) {
    command_tx::record(sql, envelope.id, "nothing_to_delete");
    tx.commit();
    return out;
  }
  sql << remove_usage_sql, soci::use(size), soci::use(owner_id);
  sql << schedule_removal_sql, soci::use(out.object_key);
  sql << revoke_file_shares_sql, soci::use(file_id, "file_id");
  // Freeing space unlocks the owner's locked files that fit again (oldest first).
  const auto locks = command_tx::refresh_plan_locks(sql, request.owner);
  command_tx::record(sql, envelope.id, "deleted");
  command_tx::signal_settled(sql, file_id);
  auto event = command_tx::draft_for(envelope, "file.deleted", "file", file_id);
  event.data = {{"name", out.name}, {"size", size}, {"unlocked", locks.unlocked}};
  append_event(sql, event);
  tx.commit();
  out.deleted = true;
  out.size = size;
  out.unlocked = locks.unlocked;
  return out;
}

}  // namespace

bool file_command_store::processed(const std::string& command_id) {
  return run_transaction(
      *pool_, [&](soci::session& sql) { return command_tx::processed(sql, command_id); });
}

upload_commit file_command_store::commit_upload(const commands::envelope& envelope,
                                                const commands::upload& upload) {
  return run_transaction(*pool_, [&](soci::session& sql) { return commit(sql, envelope, upload); });
}

ports::rejection_record file_command_store::record_rejection(const commands::envelope& envelope,
                                                             const commands::upload& upload,
                                                             model::rejection_reason reason) {
  return run_transaction(*pool_,
                         [&](soci::session& sql) { return reject(sql, envelope, upload, reason); });
}

bool file_command_store::release_object(const std::string& object_key) {
  return run_transaction(*pool_, [&](soci::session& sql) { return release(sql, object_key); });
}

void file_command_store::removal_done(const std::string& object_key) {
  run_transaction(*pool_, [&](soci::session& sql) {
    sql << forget_removal_sql, soci::use(object_key);
  });
}

ports::file_deletion file_command_store::delete_file(const commands::envelope& envelope,
                                                     const commands::delete_file& request) {
  return run_transaction(*pool_,
                         [&](soci::session& sql) { return soft_delete(sql, envelope, request); });
}

}  // namespace kemas::postgres
