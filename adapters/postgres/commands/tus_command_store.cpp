#include "adapters/postgres/commands/tus_command_store.hpp"

#include "adapters/postgres/commands/command_tx.hpp"
#include "adapters/postgres/prepared.hpp"
#include "adapters/postgres/repositories/query.hpp"

#include <soci/soci.h>

namespace kemas::postgres {
namespace {

// Every statement here is prepared (prepared.hpp). $1 upload.
const prepared_statement parts{
    "kemas_tus_expire_parts",
    "SELECT number, size_bytes, etag FROM tus_parts WHERE upload_id = CAST($1 AS uuid) "
    "ORDER BY number"};

// Due by the database's clock, and either still taking bytes or its commit refused (the
// cleaner abandoned it): an upload whose `upload` command is on its way is the commit's.
// $1 upload.
const prepared_statement remove_due{
    "kemas_tus_expire_remove_due",
    "DELETE FROM tus_uploads t WHERE t.id = CAST($1 AS uuid) AND t.expires_at <= now() "
    "AND (t.state = 'open' OR EXISTS (SELECT 1 FROM uploads u WHERE u.id = t.id "
    "AND u.state = 'rejected')) "
    "RETURNING t.owner_id::text, t.reserved_bytes, t.object_key, "
    "coalesce(t.multipart_upload_id, ''), t.\"offset\", coalesce(t.length, -1)"};

// Not removed: how long until it is due; a completing upload is looked at again in 10 min.
// $1 upload.
const prepared_statement time_left{
    "kemas_tus_expire_time_left",
    "SELECT GREATEST(CASE WHEN expires_at > now() "
    "THEN ceil(extract(epoch FROM (expires_at - now())) * 1000) ELSE 600000 END, 1)::bigint "
    "FROM tus_uploads WHERE id = CAST($1 AS uuid)"};

// $1 owner, $2 bytes.
const prepared_statement release_reservation{
    "kemas_tus_expire_release",
    "UPDATE users SET reserved_bytes = reserved_bytes - $2 WHERE id = CAST($1 AS uuid)"};

// $1 object key.
const prepared_statement claim_due{
    "kemas_tus_expire_claim_due",
    "UPDATE object_cleanup SET due_at = now() WHERE object_key = $1 AND due_at > now()"};

ports::tus_expiry expire(soci::session& sql, const commands::envelope& envelope,
                         const commands::expire_upload& command) {
  using kind = ports::tus_expiry::kind;
  ports::tus_expiry out;
  soci::transaction tx(sql);
  if (command_tx::processed(sql, envelope.id)) {
    out.what = kind::already_processed;
    return out;
  }
  const std::string id = command.upload_id.to_string();
  {
    const prepared_rows found = execute(sql, parts, id);
    for (int row = 0; row < found.size(); ++row) {
      out.parts.push_back({static_cast<int>(found.int64(row, 0)),
                           static_cast<std::uint64_t>(found.int64(row, 1)), found.text(row, 2)});
    }
  }
  const prepared_rows removed = execute(sql, remove_due, id);
  if (removed.size() == 0) {
    out.parts.clear();
    const prepared_rows left = execute(sql, time_left, id);
    if (left.size() > 0) {
      out.what = kind::not_due;  // rolled back: nothing recorded
      out.remaining = std::chrono::milliseconds(left.int64(0, 0));
      return out;
    }
    command_tx::record(sql, envelope.id, "missing");
    tx.commit();
    out.what = kind::missing;
    return out;
  }
  const std::string owner = removed.text(0, 0);
  const long long reserved = removed.int64(0, 1);
  out.object_key = removed.text(0, 2);
  const std::string multipart = removed.text(0, 3);
  const long long offset = removed.int64(0, 4);
  const long long length = removed.int64(0, 5);
  if (reserved > 0)
    execute(sql, release_reservation, owner, reserved);
  if (!multipart.empty()) {
    out.multipart_upload_id = multipart;
    execute(sql, claim_due, out.object_key);
  }
  auto event = command_tx::draft_for(envelope, "upload.expired", "upload", id);
  event.data = {{"owner_id", owner}, {"offset", offset}, {"parts", out.parts.size()}};
  if (length >= 0)
    event.data["length"] = length;
  append_event(sql, event);
  command_tx::record(sql, envelope.id, "removed");
  tx.commit();
  out.what = kind::removed;
  return out;
}

}  // namespace

ports::tus_expiry tus_command_store::expire_upload(const commands::envelope& envelope,
                                                   const commands::expire_upload& command) {
  return run_transaction(*pool_,
                         [&](soci::session& sql) { return expire(sql, envelope, command); });
}

}  // namespace kemas::postgres
