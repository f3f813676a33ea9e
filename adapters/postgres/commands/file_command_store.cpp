#include "adapters/postgres/commands/file_command_store.hpp"

#include <soci/soci.h>

#include "adapters/postgres/commands/command_tx.hpp"
#include "adapters/postgres/prepared.hpp"
#include "adapters/postgres/repositories/query.hpp"
#include "adapters/postgres/settle_channel.hpp"
#include "adapters/support/random.hpp"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>

namespace kemas::postgres {
namespace {

using ports::upload_commit;

// Each statement below is prepared (prepared.hpp): parsed and planned once per connection.

// FOR UPDATE: two copies of one command (or two commands for one upload) serialize here.
// $1 upload.
const prepared_statement lock_upload_statement{
    "kemas_upload_lock",
    "SELECT state, owner_id::text FROM uploads WHERE id = CAST($1 AS uuid) FOR UPDATE"};

// $1 upload, $2 reason.
const prepared_statement reject_upload{
    "kemas_upload_reject",
    "UPDATE uploads SET state = 'rejected', reason = $2 WHERE id = CAST($1 AS uuid)"};

// Schedules the object's removal unless a live file references it (a row only when
// scheduled). An earlier due time (the api's claim, due at its abandon time) moves to now.
// $1 object key.
const prepared_statement release_object{
    "kemas_object_release",
    "INSERT INTO object_cleanup (object_key, due_at) SELECT CAST($1 AS text), now() "
    "WHERE NOT EXISTS (SELECT 1 FROM files WHERE object_key = $1 AND state <> 'deleted') "
    "ON CONFLICT (object_key) DO UPDATE SET due_at = LEAST(object_cleanup.due_at, now()) "
    "RETURNING 1"};

// $1 object key.
const prepared_statement schedule_removal{
    "kemas_object_schedule_removal",
    "INSERT INTO object_cleanup (object_key, due_at) VALUES ($1, now()) "
    "ON CONFLICT (object_key) DO UPDATE SET due_at = LEAST(object_cleanup.due_at, now())"};

// A deleted file's share links stop at once (the public route also checks the file's state)
// and no longer count toward the owner's plan limit of live links. $1 file.
const prepared_statement revoke_file_shares{
    "kemas_file_shares_revoke",
    "UPDATE share_links SET revoked_at = now() WHERE file_id = CAST($1 AS uuid) "
    "AND revoked_at IS NULL"};

// A refused tus upload ends here: its row and parts go, its reservation is released.
// $1 upload.
const prepared_statement end_tus_upload{
    "kemas_tus_upload_end",
    "WITH t AS (DELETE FROM tus_uploads WHERE id = CAST($1 AS uuid) "
    " RETURNING owner_id, reserved_bytes) "
    "UPDATE users u SET reserved_bytes = u.reserved_bytes - t.reserved_bytes FROM t "
    "WHERE u.id = t.owner_id"};

// $1 object key.
const prepared_statement forget_removal{"kemas_object_forget_removal",
                                        "DELETE FROM object_cleanup WHERE object_key = $1"};

// $1 file, $2 owner.
const prepared_statement soft_delete_statement{
    "kemas_file_soft_delete",
    "UPDATE files SET state = 'deleted', deleted_at = now() "
    "WHERE id = CAST($1 AS uuid) AND owner_id = CAST($2 AS uuid) "
    "AND state <> 'deleted' RETURNING size_bytes, object_key, name"};

// $1 owner, $2 bytes freed.
const prepared_statement remove_usage{
    "kemas_file_remove_usage",
    "UPDATE users SET used_bytes = used_bytes - $2, file_count = file_count - 1 "
    "WHERE id = CAST($1 AS uuid)"};

// State of the locked uploads row; empty when there is none or it is not the owner's.
std::string lock_upload(soci::session& sql, const commands::upload& upload) {
  const prepared_rows rows = execute(sql, lock_upload_statement, upload.upload_id);
  if (rows.size() == 0 || rows.text(0, 1) != upload.owner.to_string())
    return {};
  return rows.text(0, 0);
}

// True when scheduled (no live file references the key).
bool release(soci::session& sql, const std::string& object_key) {
  return execute(sql, release_object, object_key).size() > 0;
}

// commit_upload's (and commit_uploads') outcome word as the port's value.
upload_commit outcome_of(const std::string& outcome) {
  using kind = upload_commit::kind;
  if (outcome == "committed")
    return {kind::committed};
  if (outcome == "already_settled")
    return {kind::already_settled};
  if (outcome == "no_upload")
    return {kind::no_upload};
  const auto reason = model::rejection_reason_from(outcome);
  if (reason == model::rejection_reason::unknown)
    throw std::runtime_error("commit_upload: unknown outcome '" + outcome + "'");
  return {kind::refused, reason};
}

model::event_draft uploaded_event(const commands::envelope& envelope,
                                  const commands::upload& upload) {
  auto event =
      command_tx::draft_for(envelope, "file.uploaded", "file", upload.file_id.to_string());
  event.data = {{"name", upload.name},
                {"size", static_cast<long long>(upload.size)},
                {"sha256", upload.sha256},
                {"content_type", upload.content_type},
                {"upload_id", upload.upload_id.to_string()}};
  return event;
}

// One prepared call of commit_upload (schemas/migrations/0009_commit_upload.sql) in
// autocommit: the function's statements are one transaction, and a refusal wrote nothing.
upload_commit commit(soci::session& sql, const commands::envelope& envelope,
                     const commands::upload& upload) {
  static const prepared_statement statement{
      "kemas_commit_upload",
      "SELECT commit_upload($1::uuid, $2::uuid, $3::uuid, $4, $5, $6::bigint, $7, $8, "
      "$9::boolean, $10::uuid, $11::jsonb, $12)"};
  // Inline bodies had no claim on their object.
  const std::optional<std::string> parameters[] = {upload.upload_id.to_string(),
                                                   upload.owner.to_string(),
                                                   upload.file_id.to_string(),
                                                   upload.name,
                                                   upload.content_type,
                                                   std::to_string(upload.size),
                                                   upload.sha256,
                                                   upload.object_key,
                                                   upload.inline_body ? "false" : "true",
                                                   envelope.id,
                                                   event_text(uploaded_event(envelope, upload)),
                                                   std::string(KEMAS_SETTLE_CHANNEL)};
  return outcome_of(execute_prepared(sql, statement, parameters).text(0, 0));
}

// A group in one prepared call of commit_uploads (schemas/migrations/0010_commit_uploads.sql)
// in autocommit: one transaction, one round trip, members in owner order.
std::vector<upload_commit> commit_group(soci::session& sql,
                                        std::span<const ports::upload_member> group) {
  static const prepared_statement statement{"kemas_commit_uploads",
                                            "SELECT commit_uploads($1::jsonb, $2)"};
  std::vector<std::size_t> order(group.size());
  for (std::size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::ranges::sort(order, [&](std::size_t a, std::size_t b) {
    const auto& x = *group[a].upload;
    const auto& y = *group[b].upload;
    return std::tie(x.owner, x.upload_id) < std::tie(y.owner, y.upload_id);
  });
  const auto now =
      std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  boost::json::array members;
  members.reserve(group.size());
  for (const std::size_t i : order) {
    const commands::envelope& envelope = *group[i].envelope;
    const commands::upload& upload = *group[i].upload;
    members.push_back(boost::json::object{
        {"upload_id", upload.upload_id.to_string()},
        {"owner_id", upload.owner.to_string()},
        {"file_id", upload.file_id.to_string()},
        {"name", upload.name},
        {"content_type", upload.content_type},
        {"size", upload.size},
        {"sha256", upload.sha256},
        {"object_key", upload.object_key},
        {"claimed", !upload.inline_body.has_value()},
        {"command_id", envelope.id},
        {"event", build_event(uploaded_event(envelope, upload), support::random_uuid(), now)}});
  }
  const std::optional<std::string> parameters[] = {boost::json::serialize(members),
                                                   std::string(KEMAS_SETTLE_CHANNEL)};
  const prepared_rows rows = execute_prepared(sql, statement, parameters);
  if (rows.size() != static_cast<int>(group.size()))
    throw std::runtime_error("commit_uploads: " + std::to_string(rows.size()) + " outcomes for " +
                             std::to_string(group.size()) + " members");
  std::vector<upload_commit> out(group.size());
  for (std::size_t row = 0; row < order.size(); ++row)
    out[order[row]] = outcome_of(rows.text(static_cast<int>(row), 0));
  return out;
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
  execute(sql, reject_upload, upload_id, reason_name);
  execute(sql, end_tus_upload, upload_id);
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
  const prepared_rows deleted = execute(sql, soft_delete_statement, file_id, request.owner);
  if (deleted.size() == 0) {
    command_tx::record(sql, envelope.id, "nothing_to_delete");
    tx.commit();
    return out;
  }
  const long long size = deleted.int64(0, 0);
  out.object_key = deleted.text(0, 1);
  out.name = deleted.text(0, 2);
  execute(sql, remove_usage, request.owner, size);
  execute(sql, schedule_removal, out.object_key);
  execute(sql, revoke_file_shares, file_id);
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

std::vector<bool> file_command_store::processed_among(std::span<const std::string> command_ids) {
  return run_transaction(*pool_, [&](soci::session& sql) {
    return command_tx::processed_among(sql, command_ids);
  });
}

std::vector<upload_commit> file_command_store::commit_uploads(
    std::span<const ports::upload_member> group) {
  if (group.empty())
    return {};
  return run_transaction(*pool_, [&](soci::session& sql) { return commit_group(sql, group); });
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
    execute(sql, forget_removal, object_key);
  });
}

ports::file_deletion file_command_store::delete_file(const commands::envelope& envelope,
                                                     const commands::delete_file& request) {
  return run_transaction(*pool_,
                         [&](soci::session& sql) { return soft_delete(sql, envelope, request); });
}

}  // namespace kemas::postgres
