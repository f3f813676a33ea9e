#include "adapters/postgres/outbox_reader.hpp"

#include "adapters/postgres/array_literal.hpp"

#include "adapters/postgres/prepared.hpp"

#include <soci/soci.h>

#include <string>

namespace kemas::postgres {
namespace {

// Claim and mark run once per batch of every relay: prepared (prepared.hpp), so PostgreSQL
// plans them once per connection, not once per batch.

// SKIP LOCKED: rows another relay's open transaction holds are not ours to publish now.
// The partial index outbox_unpublished_idx serves WHERE/ORDER BY. $1 the batch size.
const prepared_statement claim_statement{
    "kemas_outbox_claim",
    "SELECT id, event::text FROM outbox WHERE published_at IS NULL "
    "ORDER BY id LIMIT CAST($1 AS bigint) FOR UPDATE SKIP LOCKED"};

// The ids travel as one array literal ("{1,2,3}") so a batch is one statement. $1 the ids.
const prepared_statement mark_statement{
    "kemas_outbox_mark",
    "UPDATE outbox SET published_at = now() "
    "WHERE id = ANY(CAST($1 AS bigint[])) AND published_at IS NULL"};

constexpr const char* count_sql = "SELECT count(*) FROM outbox WHERE published_at IS NULL";

}  // namespace

std::vector<outbox_row> claim_unpublished(soci::session& sql, std::size_t limit) {
  std::vector<outbox_row> rows;
  if (limit == 0)
    return rows;
  rows.reserve(limit);
  const std::optional<std::string> parameters[] = {std::to_string(limit)};
  const prepared_rows result = execute_prepared(sql, claim_statement, parameters);
  for (int i = 0; i < result.size(); ++i)
    rows.push_back({result.int64(i, 0), result.text(i, 1)});
  return rows;
}

std::size_t mark_published(soci::session& sql, std::span<const std::int64_t> ids) {
  if (ids.empty())
    return 0;
  const std::optional<std::string> parameters[] = {integer_array_literal(ids)};
  return static_cast<std::size_t>(execute_prepared(sql, mark_statement, parameters).affected());
}

std::int64_t count_unpublished(soci::session& sql) {
  long long count = 0;
  sql << count_sql, soci::into(count);
  return static_cast<std::int64_t>(count);
}

relay_outcome relay_unpublished(soci::session& sql, std::size_t limit,
                                const publish_rows& publish) {
  relay_outcome outcome;
  soci::transaction tx(sql);
  const std::vector<outbox_row> rows = claim_unpublished(sql, limit);
  outcome.claimed = rows.size();
  if (rows.empty()) {
    tx.commit();
    return outcome;
  }
  const std::vector<std::int64_t> confirmed = publish(rows);
  outcome.published = mark_published(sql, confirmed);
  tx.commit();
  return outcome;
}

}  // namespace kemas::postgres
