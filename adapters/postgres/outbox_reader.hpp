#pragma once
// The relay's side of the transactional outbox (outbox.hpp is the writers' side): claim
// unpublished rows, hand them to a publisher, stamp the confirmed ones as published.
//
// Contract:
//  - relay_unpublished runs ONE transaction on `sql`: it locks up to `limit` unpublished rows
//    in id order with SELECT ... FOR UPDATE SKIP LOCKED, calls `publish` with them (still
//    inside the transaction, so the locks are held while the broker confirms), sets
//    published_at = now() on the ids `publish` returns, and commits. Rows another relay holds
//    are skipped, not waited for, so several relays (one per commands worker) never publish
//    the same row concurrently; rows `publish` does not return stay unpublished and are
//    claimed again by a later call (at least once: a crash or a lost commit after the
//    broker's confirm publishes a row twice — consumers dedupe by event id).
//  - Ordering: each call hands rows to `publish` in id order; across concurrent relays, and
//    after a failed publish, later rows may go out before earlier ones.
//  - Errors: SOCI/database exceptions and whatever `publish` throws propagate; the
//    transaction is rolled back then (nothing stamped). Call on a pg_pool thread (blocking).
//  - claim_unpublished / mark_published are the two statements, for callers that run their
//    own transaction; outside a transaction the claim's locks end with the statement.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace soci {
class session;
}

namespace kemas::postgres {

struct outbox_row {
  std::int64_t id = 0;
  std::string event;  // the event JSON as PostgreSQL renders the jsonb column
};

// Given the claimed rows (id order), returns the ids the broker confirmed (any order).
using publish_rows = std::function<std::vector<std::int64_t>(std::span<const outbox_row>)>;

struct relay_outcome {
  std::size_t claimed = 0;    // rows locked and handed to publish
  std::size_t published = 0;  // rows stamped published_at
};

relay_outcome relay_unpublished(soci::session& sql, std::size_t limit, const publish_rows& publish);

std::vector<outbox_row> claim_unpublished(soci::session& sql, std::size_t limit);
// Stamps published_at = now() on those of `ids` that are still unpublished; returns how many.
std::size_t mark_published(soci::session& sql, std::span<const std::int64_t> ids);
// Rows without published_at (for logs and tests).
std::int64_t count_unpublished(soci::session& sql);

}  // namespace kemas::postgres
