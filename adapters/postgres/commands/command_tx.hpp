#pragma once
// What the worker's command transactions share (adapters/postgres/commands/*): the
// processed_commands log, the event draft of a command, millisecond times, and the one step
// that brings an owner's file locks in line with a quota. Each function runs statements on
// the caller's session, inside the caller's transaction; call them on a pg_pool thread.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/postgres/outbox.hpp"
#include "domain/commands/envelope.hpp"
#include "domain/uuid.hpp"

namespace soci {
class session;
}

namespace kemas::postgres::command_tx {

// Tells the api processes waiting for row `id` (an upload, a file, an order) that this
// transaction settled it: pg_notify on KEMAS_SETTLE_CHANNEL, delivered only at the commit
// (adapters/postgres/settle_listener.hpp hears it).
void signal_settled(soci::session& sql, const std::string& id);

// True when processed_commands holds `command_id`.
bool processed(soci::session& sql, const std::string& command_id);
// The same for several ids in one statement: result i is command_ids[i]'s.
std::vector<bool> processed_among(soci::session& sql, std::span<const std::string> command_ids);

// Inserts (command_id, outcome) unless the id is there.
void record(soci::session& sql, const std::string& command_id, std::string_view outcome);

// The event draft for a change a command made: its request id, the actor (`actor`, else
// the envelope's actor.user_id) and ip, and the subject.
model::event_draft draft_for(const commands::envelope& envelope, std::string type,
                             std::string subject_type, std::string subject_id);

timestamp from_ms(long long ms);

// The fallback plan an expired account gets: plans.name = 'free' (std::runtime_error when
// the catalog lacks it).
struct plan_row {
  std::int64_t id = 0;
  std::int64_t quota_bytes = 0;
};
plan_row free_plan(soci::session& sql);

struct lock_changes_applied {
  std::size_t locked = 0;
  std::size_t unlocked = 0;
};

// Brings the owner's non-deleted files in line with `quota`: plan_locks (domain/quota.hpp)
// decides, two UPDATEs apply. The caller holds the owner's users row lock. The files are read
// only when one is locked or usage is over `quota`; otherwise nothing can change, and the
// cost is one indexed statement however many files the account has.
lock_changes_applied apply_plan_locks(soci::session& sql, const uuid& owner, std::uint64_t quota);

// The same against the quota in force now (user_limits: a paid plan past due counts as
// free): freeing space unlocks, a past-due account not swept yet is locked as expire will.
// The same shortcut: one indexed statement when no file is locked and usage fits.
lock_changes_applied refresh_plan_locks(soci::session& sql, const uuid& owner);

}  // namespace kemas::postgres::command_tx
