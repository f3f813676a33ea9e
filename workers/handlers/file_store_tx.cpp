#include "workers/handlers/file_store_tx.hpp"

#include "adapters/postgres/outbox.hpp"
#include "domain/uuid.hpp"
#include "workers/handlers/plan_store_tx.hpp"

#include <soci/soci.h>

namespace kemas::worker {
namespace {

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
// concurrent uploads of one owner and the condition is re-evaluated on the locked row.
constexpr const char* add_usage_sql =
    "UPDATE users u SET used_bytes = u.used_bytes + :added "
    "FROM user_limits l WHERE u.id = CAST(:owner_id AS uuid) AND l.user_id = u.id "
    "AND u.used_bytes + :added_again <= l.quota_bytes RETURNING u.used_bytes";

constexpr const char* commit_upload_sql =
    "UPDATE uploads SET state = 'committed', reason = NULL, file_id = CAST(:file_id AS uuid) "
    "WHERE id = CAST(:upload_id AS uuid)";

constexpr const char* reject_upload_sql =
    "UPDATE uploads SET state = 'rejected', reason = :reason WHERE id = CAST(:upload_id AS uuid)";

constexpr const char* record_command_sql =
    "INSERT INTO processed_commands (command_id, outcome) VALUES (CAST(:command_id AS uuid), "
    ":outcome) ON CONFLICT (command_id) DO NOTHING";

constexpr const char* command_processed_sql =
    "SELECT count(*) FROM processed_commands WHERE command_id = CAST(:command_id AS uuid)";

constexpr const char* object_in_use_sql =
    "SELECT count(*) FROM files WHERE object_key = :object_key";

constexpr const char* soft_delete_sql =
    "UPDATE files SET state = 'deleted', deleted_at = now() "
    "WHERE id = CAST(:file_id AS uuid) AND owner_id = CAST(:owner_id AS uuid) "
    "AND state <> 'deleted' RETURNING size_bytes, object_key, name";

constexpr const char* remove_usage_sql =
    "UPDATE users SET used_bytes = used_bytes - :removed WHERE id = CAST(:owner_id AS uuid)";

postgres::event_draft draft_for(const domain::command_envelope& command, std::string type,
                                std::string subject_type, std::string subject_id,
                                const std::string& owner_id) {
  postgres::event_draft draft;
  draft.type = std::move(type);
  draft.request_id = command.request_id;
  draft.actor_user = uuid::parse(owner_id);
  draft.actor_ip = command.actor.ip.value_or("");
  draft.subject_type = std::move(subject_type);
  draft.subject_id = std::move(subject_id);
  return draft;
}

void record_command(soci::session& sql, const std::string& command_id, const std::string& outcome) {
  sql << record_command_sql, soci::use(command_id), soci::use(outcome);
}

// State of the locked uploads row; empty when there is none or it is not `owner_id`'s.
std::string lock_upload(soci::session& sql, const upload_payload& upload) {
  std::string state;
  std::string owner;
  sql << lock_upload_sql, soci::use(upload.upload_id), soci::into(state), soci::into(owner);
  if (!sql.got_data() || owner != upload.owner_id)
    return {};
  return state;
}

}  // namespace

upload_commit commit_upload(soci::session& sql, const domain::command_envelope& command,
                            const upload_payload& upload) {
  using kind = upload_commit::kind;
  soci::transaction tx(sql);
  const std::string state = lock_upload(sql, upload);
  if (state.empty())
    return {kind::no_upload, {}};
  if (state != "pending")
    return {kind::already_settled, {}};

  long long max_file_bytes = 0;
  sql << plan_limits_sql, soci::use(upload.owner_id), soci::into(max_file_bytes);
  if (!sql.got_data())
    return {kind::no_upload, {}};
  const auto size = static_cast<long long>(upload.size);
  if (size > max_file_bytes)
    return {kind::refused, "too_large"};

  std::string inserted;
  sql << insert_file_sql, soci::use(upload.file_id), soci::use(upload.owner_id),
      soci::use(upload.name), soci::use(upload.content_type), soci::use(size),
      soci::use(upload.sha256), soci::use(upload.object_key), soci::into(inserted);
  if (!sql.got_data())
    return {kind::refused, "name_taken"};  // the destructor rolls back

  long long used_after = 0;
  sql << add_usage_sql, soci::use(size), soci::use(upload.owner_id), soci::use(size),
      soci::into(used_after);
  if (!sql.got_data())
    return {kind::refused, "quota_exceeded"};  // rolls back the file row too

  sql << commit_upload_sql, soci::use(upload.file_id), soci::use(upload.upload_id);
  record_command(sql, command.id, "committed");
  auto event = draft_for(command, "file.uploaded", "file", upload.file_id, upload.owner_id);
  event.data = {{"name", upload.name},
                {"size", size},
                {"sha256", upload.sha256},
                {"content_type", upload.content_type},
                {"upload_id", upload.upload_id}};
  postgres::append_event(sql, event);
  tx.commit();
  return {kind::committed, {}};
}

rejection_record record_rejection(soci::session& sql, const domain::command_envelope& command,
                                  const upload_payload& upload, const std::string& reason) {
  soci::transaction tx(sql);
  rejection_record out;
  const std::string state = lock_upload(sql, upload);
  out.object_in_use = object_in_use(sql, upload.object_key);
  if (state != "pending")
    return out;  // settled by another copy, or no such upload: nothing to record
  sql << reject_upload_sql, soci::use(reason), soci::use(upload.upload_id);
  record_command(sql, command.id, "rejected");
  auto event = draft_for(command, "upload.rejected", "upload", upload.upload_id, upload.owner_id);
  event.data = {{"reason", reason},
                {"name", upload.name},
                {"size", static_cast<long long>(upload.size)},
                {"file_id", upload.file_id}};
  postgres::append_event(sql, event);
  tx.commit();
  out.recorded = true;
  return out;
}

bool object_in_use(soci::session& sql, const std::string& object_key) {
  long long count = 0;
  sql << object_in_use_sql, soci::use(object_key), soci::into(count);
  return count > 0;
}

bool command_processed(soci::session& sql, const std::string& command_id) {
  long long count = 0;
  sql << command_processed_sql, soci::use(command_id), soci::into(count);
  return count > 0;
}

file_deletion delete_file(soci::session& sql, const domain::command_envelope& command,
                          const delete_payload& request) {
  soci::transaction tx(sql);
  file_deletion out;
  if (command_processed(sql, command.id))
    return out;
  long long size = 0;
  sql << soft_delete_sql, soci::use(request.file_id), soci::use(request.owner_id),
      soci::into(size), soci::into(out.object_key), soci::into(out.name);
  if (!sql.got_data()) {
    record_command(sql, command.id, "nothing_to_delete");
    tx.commit();
    return out;
  }
  sql << remove_usage_sql, soci::use(size), soci::use(request.owner_id);
  // Step 4: freeing space unlocks the owner's locked files that fit again (oldest first).
  const lock_refresh locks = refresh_plan_locks(sql, request.owner_id);
  record_command(sql, command.id, "deleted");
  auto event = draft_for(command, "file.deleted", "file", request.file_id, request.owner_id);
  event.data = {{"name", out.name}, {"size", size}, {"unlocked", locks.unlocked}};
  postgres::append_event(sql, event);
  tx.commit();
  out.deleted = true;
  out.size = size;
  return out;
}

}  // namespace kemas::worker
