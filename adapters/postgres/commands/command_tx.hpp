#pragma once
// What the worker's command transactions share (adapters/postgres/commands/*): the
// processed_commands log, the event draft of a command, millisecond times, and the one step
// that brings an owner's file locks in line with a quota. Each function runs statements on
// the caller's session, inside the caller's transaction; call them on a pg_pool thread.

#include <cstddef>
#include <cstdint>
#include <optional>
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

namespace kemas::postgres {
class prepared_rows;
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

// An account's plan standing as the database sees it now, read under the account's row lock
// by the plan commands and expire groups: KEMAS_PLAN_STANDING_COLUMNS (`u` users, `p` its
// plan) in the order read_plan_standing reads them. `due` is the user_limits view's own
// comparison, evaluated by the database; times in ms, the expiry rounded up.
#define KEMAS_PLAN_STANDING_COLUMNS                                \
  "p.name, u.used_bytes, "                                         \
  "CASE WHEN u.plan_expires_at IS NULL THEN 0 ELSE 1 END, "        \
  "CASE WHEN u.plan_expires_at <= now() THEN 1 ELSE 0 END, "       \
  "COALESCE(ceil(extract(epoch FROM u.plan_expires_at) * 1000)::bigint, 0), " \
  "floor(extract(epoch FROM now()) * 1000)::bigint"
inline constexpr int plan_standing_column_count = 6;

struct plan_standing {
  std::string plan_name;
  long long used_bytes = 0;
  std::optional<timestamp> expires_at;
  bool due = false;
  timestamp now{};
};

// Row `row` of a prepared answer whose KEMAS_PLAN_STANDING_COLUMNS start at column `first`.
plan_standing read_plan_standing(const prepared_rows& rows, int row, int first);

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
