#include "adapters/postgres/commands/tus_command_store.hpp"

#include "adapters/postgres/commands/command_tx.hpp"
#include "adapters/postgres/repositories/query.hpp"

#include <soci/soci.h>

namespace kemas::postgres {
namespace {

constexpr const char* parts_sql =
    "SELECT number, size_bytes, etag FROM tus_parts WHERE upload_id = CAST(:id AS uuid) "
    "ORDER BY number";

// Due by the database's clock, and either still taking bytes or its commit refused (the
// cleaner abandoned it): an upload whose `upload` command is on its way is the commit's.
constexpr const char* remove_due_sql =
    "DELETE FROM tus_uploads t WHERE t.id = CAST(:id AS uuid) AND t.expires_at <= now() "
    "AND (t.state = 'open' OR EXISTS (SELECT 1 FROM uploads u WHERE u.id = t.id "
    "AND u.state = 'rejected')) "
    "RETURNING t.owner_id::text, t.reserved_bytes, t.object_key, "
    "coalesce(t.multipart_upload_id, ''), t.\"offset\", coalesce(t.length, -1)";

// Not removed: how long until it is due; a completing upload is looked at again in 10 min.
constexpr const char* remaining_sql =
    "SELECT GREATEST(CASE WHEN expires_at > now() "
    "THEN ceil(extract(epoch FROM (expires_at - now())) * 1000) ELSE 600000 END, 1)::bigint "
    "FROM tus_uploads WHERE id = CAST(:id AS uuid)";

constexpr const char* release_sql =
    "UPDATE users SET reserved_bytes = reserved_bytes - :reserved WHERE id = CAST(:owner AS uuid)";

constexpr const char* claim_due_sql =
    "UPDATE object_cleanup SET due_at = now() WHERE object_key = :key AND due_at > now()";

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
    soci::rowset<soci::row> found = (sql.prepare << parts_sql, soci::use(id, "id"));
    for (const auto& row : found) {
      out.parts.push_back({row.get<int>(0), static_cast<std::uint64_t>(row.get<long long>(1)),
                           row.get<std::string>(2)});
    }
  }
  std::string owner;
  long long reserved = 0;
  std::string multipart;
  long long offset = 0;
  long long length = -1;
  sql << remove_due_sql, soci::use(id, "id"), soci::into(owner), soci::into(reserved),
      soci::into(out.object_key), soci::into(multipart), soci::into(offset), soci::into(length);
  if (!sql.got_data()) {
    out.parts.clear();
    long long remaining_ms = 0;
    sql << remaining_sql, soci::use(id, "id"), soci::into(remaining_ms);
    if (sql.got_data()) {
      out.what = kind::not_due;  // rolled back: nothing recorded
      out.remaining = std::chrono::milliseconds(remaining_ms);
      return out;
    }
    command_tx::record(sql, envelope.id, "missing");
    tx.commit();
    out.what = kind::missing;
    return out;
  }
  if (reserved > 0)
    sql << release_sql, soci::use(reserved, "reserved"), soci::use(owner, "owner");
  if (!multipart.empty()) {
    out.multipart_upload_id = multipart;
    sql << claim_due_sql, soci::use(out.object_key, "key");
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
