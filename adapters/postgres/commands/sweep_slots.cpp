#include "adapters/postgres/commands/sweep_slots.hpp"

#include <soci/soci.h>

#include "adapters/log/logging.hpp"
#include "adapters/postgres/pool.hpp"

namespace kemas::postgres {
namespace {

// The row is the claim: whoever inserts it publishes the slot's sweep.
constexpr const char* claim_slot_sql =
    "INSERT INTO sweep_slots (slot, claimed_by) VALUES (:slot, :claimed_by) "
    "ON CONFLICT (slot) DO NOTHING RETURNING slot";

// Claims are only looked up by the INSERT's key; a week of them is history for operators.
constexpr const char* prune_slots_sql =
    "DELETE FROM sweep_slots WHERE claimed_at < now() - interval '7 days'";

}  // namespace

ports::slot_claim sweep_slots::claim(std::int64_t slot, const std::string& claimed_by,
                                     const std::function<bool()>& publish) {
  try {
    return pool_->with_session([&](soci::session& sql) {
      soci::transaction tx(sql);
      const long long wanted = slot;
      long long claimed = 0;
      sql << claim_slot_sql, soci::use(wanted), soci::use(claimed_by), soci::into(claimed);
      if (!sql.got_data())
        return ports::slot_claim::taken;
      // Published while the claim is uncommitted: a competitor's INSERT waits for it, and
      // sees the row only if the sweep is really out.
      if (!publish())
        return ports::slot_claim::failed;  // rolled back
      sql << prune_slots_sql;
      tx.commit();
      return ports::slot_claim::published;
    });
  } catch (const std::exception& e) {
    log::warn("sweep slot claim failed", {{"slot", slot}, {"error", e.what()}});
    return ports::slot_claim::failed;
  }
}

}  // namespace kemas::postgres
