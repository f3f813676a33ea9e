#include "adapters/postgres/commands/sweep_slots.hpp"

#include <soci/soci.h>

#include "adapters/log/logging.hpp"
#include "adapters/postgres/pool.hpp"
#include "adapters/postgres/prepared.hpp"

namespace kemas::postgres {
namespace {

// The row is the claim: whoever inserts it publishes the slot's sweep. $1 slot, $2 claimant.
const prepared_statement claim_slot{"kemas_sweep_slot_claim",
                                    "INSERT INTO sweep_slots (slot, claimed_by) VALUES ($1, $2) "
                                    "ON CONFLICT (slot) DO NOTHING RETURNING slot"};

// Claims are only looked up by the INSERT's key; a week of them is history for operators.
const prepared_statement prune_slots{
    "kemas_sweep_slot_prune", "DELETE FROM sweep_slots WHERE claimed_at < now() - interval '7 days'"};

}  // namespace

ports::slot_claim sweep_slots::claim(std::int64_t slot, const std::string& claimed_by,
                                     const std::function<bool()>& publish) {
  try {
    return pool_->with_session([&](soci::session& sql) {
      soci::transaction tx(sql);
      if (execute(sql, claim_slot, slot, claimed_by).size() == 0)
        return ports::slot_claim::taken;
      // Published while the claim is uncommitted: a competitor's INSERT waits for it, and
      // sees the row only if the sweep is really out.
      if (!publish())
        return ports::slot_claim::failed;  // rolled back
      execute(sql, prune_slots);
      tx.commit();
      return ports::slot_claim::published;
    });
  } catch (const std::exception& e) {
    log::warn("sweep slot claim failed", {{"slot", slot}, {"error", e.what()}});
    return ports::slot_claim::failed;
  }
}

}  // namespace kemas::postgres
