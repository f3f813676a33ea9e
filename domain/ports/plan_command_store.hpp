#pragma once
// plan_command_store: the database side of the plan commands — upgrade, expire and
// expire-sweep. Every call is ONE transaction (or one statement) and blocks (handler threads
// only). Implemented by adapters/postgres/plan_command_store (all the SQL) and in memory for
// unit tests.
//
// Serialization: the writing calls lock the account's row first and only then look at the
// order and processed_commands, so two copies of one command, or an upgrade and an expire of
// one account, run one after the other and the second sees what the first committed. The
// upload commit locks the same row before it checks the quota, so the files an expiry locks
// are exactly the files that exist.
// Times: plan_expires_at is stored truncated to the millisecond; it is read back rounded UP
// to the millisecond, so an expire scheduled for it never arrives before it.
// Locks: which files to lock or unlock is plan_locks() (domain/quota.hpp, newest locked
// first); nothing is deleted.
//
// Faults: as file_command_store.hpp — kemas::backend_unavailable for transient database
// faults; any other exception means the command cannot succeed (or a bug).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "domain/commands/assign_plan.hpp"
#include "domain/commands/expire.hpp"
#include "domain/commands/upgrade.hpp"
#include "domain/expiry_policy.hpp"

namespace kemas::ports {

// What a plan costs and gives, as the upgrade reads it.
struct plan_terms {
  std::int32_t id = 0;
  std::string name;
  std::int64_t quota_bytes = 0;
  std::int64_t price_cents = 0;
  std::string currency;
  std::optional<std::int64_t> duration_seconds;  // nullopt: never expires
};

// Where an upgrade stands before anything is charged (one read, no lock held afterwards).
struct upgrade_start {
  enum class kind {
    ready,              // buyer and plan exist, nothing recorded yet: decide and charge
    already_processed,  // this command, or an order with its id, ran before
    no_user,            // the buyer does not exist
    no_plan,            // no plan of that name (orders need a plan: nothing can be written)
  };
  kind what = kind::ready;
  std::optional<timestamp> bought_until{};  // already_processed: what that paid order bought
  plan_terms plan{};                        // ready
};

struct upgrade_commit {
  enum class kind {
    paid,               // plan and expiry set, order paid, files unlocked, plan.upgraded
    failed,             // order recorded as failed with the reason, order.failed
    already_processed,  // another copy got there first: nothing written
    no_user,            // the buyer vanished meanwhile: nothing written
  };
  kind what = kind::paid;
  std::optional<timestamp> expires_at{};  // paid, or already_processed with a paid order
  std::string from_plan{};
  std::size_t locked = 0;
  std::size_t unlocked = 0;
};

struct assignment_commit {
  enum class kind {
    assigned,           // plan and plan_expires_at set, files locked/unlocked to fit,
                        // user.plan_changed
    already_processed,  // this command ran before: nothing written
    no_user,            // the account does not exist: nothing written
    no_plan,            // no plan of that name: nothing written
  };
  kind what = kind::assigned;
  std::string from_plan;
  std::optional<timestamp> expires_at;  // assigned: the new end (nullopt: none)
  std::size_t locked = 0;
  std::size_t unlocked = 0;
};

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

// One member of a group of `expire` commands applied together.
struct expiry_member {
  const commands::envelope* envelope = nullptr;
  const commands::expire* expire = nullptr;
};

// One account the sweep found due, with its keyset position.
struct due_account {
  uuid user_id;
  timestamp due_at{};           // plan_expires_at rounded up to the millisecond
  std::int64_t expires_us = 0;  // plan_expires_at in microseconds since the epoch (cursor)
};

struct sweep_start {
  bool processed = false;      // this sweep ran to its end before
  std::int64_t cutoff_us = 0;  // the database's now(): accounts due by then are swept
};

class plan_command_store {
 public:
  virtual ~plan_command_store() = default;

  virtual upgrade_start start_upgrade(const commands::envelope& envelope,
                                      const commands::upgrade& upgrade) = 0;
  // The order paid (`payment_reference` from the provider): plan and plan_expires_at set (an
  // active subscription to the same plan is extended from its end), paid order with what it
  // bought, files that fit unlocked, command recorded, plan.upgraded.
  virtual upgrade_commit pay_order(const commands::envelope& envelope,
                                   const commands::upgrade& upgrade, const plan_terms& plan,
                                   const std::string& payment_reference) = 0;
  // The order failed for `reason`: failed order, command recorded, order.failed; the plan is
  // unchanged.
  virtual upgrade_commit fail_order(const commands::envelope& envelope,
                                    const commands::upgrade& upgrade, const plan_terms& plan,
                                    const std::string& reason) = 0;

  // An admin's assignment, under the account's row lock, in one transaction: plan and
  // plan_expires_at as given (no payment, no order), files over the plan's quota locked
  // (newest first) and the others unlocked, the command recorded, user.plan_changed with
  // before/after, and the assignment id signalled (the api waits for it).
  virtual assignment_commit assign_plan(const commands::envelope& envelope,
                                        const commands::assign_plan& assignment) = 0;

  // Under the account's row lock, decide_expiry() on the stored expiry: downgrade (plan ->
  // free, plan_expires_at NULL, files over the free quota locked, plan.expired), or nothing
  // (renewed, already free); the command is recorded either way. not_yet writes nothing:
  // the caller re-delays the same command.
  virtual expiry_commit apply_expiry(const commands::envelope& envelope,
                                     const commands::expire& expire) = 0;
  // apply_expiry for a group in ONE transaction (group commit): member i gets the outcome
  // apply_expiry would have given it alone (result i). Every member names another account
  // (the caller applies a repeated account alone). Throws as apply_expiry does; then nothing
  // of the group is written and the caller may apply the members one by one.
  virtual std::vector<expiry_commit> apply_expiries(std::span<const expiry_member> group) = 0;

  virtual sweep_start start_sweep(const std::string& command_id) = 0;
  // Up to `limit` accounts with plan_expires_at <= cutoff, in (plan_expires_at, id) order,
  // after `after` when given (keyset paging). One statement.
  virtual std::vector<due_account> due_accounts(std::int64_t cutoff_us,
                                                const std::optional<due_account>& after,
                                                std::size_t limit) = 0;
  // Records the command id with `outcome` unless it is there. One statement.
  virtual void record(const std::string& command_id, std::string_view outcome) = 0;
};

}  // namespace kemas::ports
