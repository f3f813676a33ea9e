#include "adapters/postgres/commands/share_command_store.hpp"

#include "adapters/postgres/commands/command_tx.hpp"
#include "adapters/postgres/prepared.hpp"
#include "adapters/postgres/repositories/query.hpp"

#include <soci/soci.h>

namespace kemas::postgres {
namespace {

// Removes the row only once it is due by the database's clock (the one the public route's
// check uses), so a command that arrives early never ends a link that still works.
// Prepared (prepared.hpp), as the time left below. $1 link.
const prepared_statement remove_due{
    "kemas_share_remove_due",
    "DELETE FROM share_links WHERE id = CAST($1 AS uuid) AND expires_at <= now() "
    "RETURNING owner_id::text, file_id::text, downloads, (revoked_at IS NOT NULL)::int"};

// $1 link.
const prepared_statement time_left{
    "kemas_share_time_left",
    "SELECT GREATEST(1, ceil(extract(epoch FROM (expires_at - now())) * 1000))::bigint "
    "FROM share_links WHERE id = CAST($1 AS uuid)"};

ports::share_expiry expire(soci::session& sql, const commands::envelope& envelope,
                           const commands::expire_share& command) {
  ports::share_expiry out;
  soci::transaction tx(sql);
  if (command_tx::processed(sql, envelope.id)) {
    out.what = ports::share_expiry::kind::already_processed;
    return out;
  }
  const std::string id = command.share_id.to_string();
  const prepared_rows removed = execute(sql, remove_due, id);
  if (removed.size() == 0) {
    const prepared_rows left = execute(sql, time_left, id);
    if (left.size() > 0) {
      out.what = ports::share_expiry::kind::not_due;  // rolled back: nothing recorded
      out.remaining = std::chrono::milliseconds(left.int64(0, 0));
      return out;
    }
    command_tx::record(sql, envelope.id, "missing");
    tx.commit();
    out.what = ports::share_expiry::kind::missing;
    return out;
  }
  auto event = command_tx::draft_for(envelope, "share.expired", "share", id);
  event.data = {{"owner_id", removed.text(0, 0)},
                {"file_id", removed.text(0, 1)},
                {"downloads", removed.int64(0, 2)},
                {"revoked", removed.int64(0, 3) != 0}};
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
