#pragma once
// The PostgreSQL side of the plan commands (issue 5): each function is ONE transaction (or
// one statement) on the caller's session; call it on a pg_pool thread (pg_pool::with_session,
// run_transaction of file_ports.hpp). SQL lives in plan_store_tx.cpp as named constants.
//
// Serialization: apply_upgrade and apply_expiry lock the account's users row first (FOR
// UPDATE) and only then look at processed_commands, so two copies of one command, or an
// upgrade and an expire of one account, run one after the other and the second sees what the
// first committed. The worker's upload commit locks the same row before it checks the quota
// (file_store_tx.cpp), so the files an expiry locks are exactly the files that exist.
//
// Times: plan_expires_at is stored truncated to the millisecond by upgrades; it is read back
// rounded UP to the millisecond, so an expire scheduled for it never arrives before it.
// Locks: which files to lock or unlock is decided by plan_locks() (domain/quota.hpp, newest
// locked first); nothing is deleted.
//
// Errors: database failures propagate as SOCI exceptions (classify them with
// adapters/postgres/errors.hpp); the transaction is rolled back on the way out.

#include "domain/command.hpp"
#include "workers/handlers/plan_commands.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace soci {
class session;
}

namespace kemas::worker {

namespace billing {
class payment_provider;
}

struct upgrade_commit {
  enum class kind {
    paid,                 // plan and expiry set, order paid, files unlocked, plan.upgraded
    failed,               // order failed with `reason` (plan not purchasable, payment
                          // declined), order.failed; the plan is unchanged
    already_processed,    // this command (or another carrying the same order id) ran before
    no_user,              // the buyer does not exist: nothing written
    no_plan,              // no plan of that name: nothing written (orders need a plan)
    payment_unavailable,  // the provider had a transient fault (`reason`): nothing written
  };
  kind what = kind::paid;
  std::string reason;
  // paid: the new plan_expires_at; already_processed: what that paid order bought (so its
  // expire can be scheduled again: scheduling is at least once). Else nullopt.
  std::optional<domain::timestamp> expires_at;
  std::string plan;
  std::string from_plan;
  std::int64_t amount_cents = 0;
  std::string currency;
  std::size_t locked = 0;
  std::size_t unlocked = 0;
};

upgrade_commit apply_upgrade(soci::session& sql, const domain::command_envelope& command,
                             const upgrade_payload& upgrade, billing::payment_provider& payments);

struct expiry_commit {
  enum class kind {
    decided,            // `decision` says what happened (only downgrade changed anything)
    already_processed,  // the command id is in processed_commands
    no_user,
  };
  kind what = kind::decided;
  expiry_decision decision;
  std::string from_plan;
  std::size_t locked = 0;
  std::size_t unlocked = 0;
  std::int64_t used_bytes = 0;
  std::int64_t quota_bytes = 0;  // of the free plan, after a downgrade
};

// Downgrades the account when its plan_expires_at has passed (plan -> free, plan_expires_at
// NULL, files over the free quota locked, plan.expired) and records the command; records it
// too when there is nothing to do (renewed, already free). not_yet writes nothing: the
// caller re-delays the same command.
expiry_commit apply_expiry(soci::session& sql, const domain::command_envelope& command,
                           const expire_payload& expire);

struct lock_refresh {
  std::size_t locked = 0;
  std::size_t unlocked = 0;
};

// Brings the owner's files in line with the quota in force now (user_limits): plan_locks
// decides, locked files that fit again are unlocked oldest first (and, for a past-due account
// not swept yet, files over the free quota are locked as the expire will). For the delete
// transaction: freeing space unlocks. Runs on the caller's transaction; the caller holds the
// owner's users row lock (delete_file's usage UPDATE takes it).
lock_refresh refresh_plan_locks(soci::session& sql, const std::string& owner_id);

// One account the sweep found due, with its keyset position.
struct due_account {
  std::string user_id;
  domain::timestamp due_at{};   // plan_expires_at rounded up to the millisecond
  std::int64_t expires_us = 0;  // plan_expires_at in microseconds since the epoch (cursor)
};

// The database's now() in microseconds since the epoch: the sweep's cutoff.
std::int64_t database_now_us(soci::session& sql);

// Up to `limit` accounts with plan_expires_at <= cutoff, in (plan_expires_at, id) order,
// after `after` when given (keyset paging on users_plan_expires_at_idx). One statement.
std::vector<due_account> due_accounts(soci::session& sql, std::int64_t cutoff_us,
                                      const std::optional<due_account>& after, std::size_t limit);

// Inserts (command_id, outcome) into processed_commands unless it is there. One statement.
void record_plan_command(soci::session& sql, const std::string& command_id,
                         const std::string& outcome);

}  // namespace kemas::worker
