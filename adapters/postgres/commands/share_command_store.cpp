#include "adapters/postgres/commands/share_command_store.hpp"

#include "adapters/postgres/commands/command_tx.hpp"
#include "adapters/postgres/repositories/query.hpp"

#include <soci/soci.h>

namespace kemas::postgres {
namespace {

// Removes the row only once it is due by the database's clock (the one the public route's
// check uses), so a command that arrives early never ends a link that still works.
constexpr const char* remove_due_sql =
    "DELETE FROM share_links WHERE id = CAST(:id AS uuid) AND expires_at <= now() "
    "RETURNING owner_id::text, file_id::text, downloads, (revoked_at IS NOT NULL)::int";

constexpr const char* remaining_sql =
    "SELECT GREATEST(1, ceil(extract(epoch FROM (expires_at - now())) * 1000))::bigint "
    "FROM share_links WHERE id = CAST(:id AS uuid)";

ports::share_expiry expire(soci::session& sql, const commands::envelope& envelope,
                           const commands::expire_share& command) {
  ports::share_expiry out;
  soci::transaction tx(sql);
  if (command_tx::processed(sql, envelope.id)) {
    out.what = ports::share_expiry::kind::already_processed;
    return out;
  }
  const std::string id = command.share_id.to_string();
  std::string owner, file;
  long long downloads = 0;
  int revoked = 0;
  sql << remove_due_sql, soci::use(id, "id"), soci::into(owner), soci::into(file),
      soci::into(downloads), soci::into(revoked);
  if (!sql.got_data()) {
    long long remaining_ms = 0;
    sql << remaining_sql, soci::use(id, "id"), soci::into(remaining_ms);
    if (sql.got_data()) {
      out.what = ports::share_expiry::kind::not_due;  // rolled back: nothing recorded
      out.remaining = std::chrono::milliseconds(remaining_ms);
      return out;
    }
    command_tx::record(sql, envelope.id, "missing");
    tx.commit();
    out.what = ports::share_expiry::kind::missing;
    return out;
  }
  auto event = command_tx::draft_for(envelope, "share.expired", "share", id);
  event.data = {{"owner_id", owner},
                {"file_id", file},
                {"downloads", downloads},
                {"revoked", revoked != 0}};
  append_event(sql, event);
  command_tx::record(sql, envelope.id, "removed");
  tx.commit();
  out.what = ports::share_expiry::kind::removed;
  return out;
}

}  // namespace

ports::share_expiry share_command_store::expire_share(const commands::envelope& envelope,
                                                      const commands::expire_share& command) {
  return run_transaction(*pool_,
                         [&](soci::session& sql) { return expire(sql, envelope, command); });
}

}  // namespace kemas::postgres
