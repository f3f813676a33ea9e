#include "adapters/postgres/outbox_reader.hpp"

#include <soci/soci.h>

#include <string>

namespace kemas::postgres {
namespace {

// SKIP LOCKED: rows another relay's open transaction holds are not ours to publish now.
// The partial index outbox_unpublished_idx serves WHERE/ORDER BY.
constexpr const char* claim_sql =
    "SELECT id, event::text FROM outbox WHERE published_at IS NULL "
    "ORDER BY id LIMIT :limit FOR UPDATE SKIP LOCKED";

// The ids travel as one array literal ("{1,2,3}") so a batch is one statement.
constexpr const char* mark_sql =
    "UPDATE outbox SET published_at = now() "
    "WHERE id = ANY(CAST(:ids AS bigint[])) AND published_at IS NULL";

constexpr const char* count_sql = "SELECT count(*) FROM outbox WHERE published_at IS NULL";

std::string array_literal(std::span<const std::int64_t> ids) {
  std::string text = "{";
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i != 0)
      text += ',';
    text += std::to_string(ids[i]);
  }
  text += '}';
  return text;
}

}  // namespace

std::vector<outbox_row> claim_unpublished(soci::session& sql, std::size_t limit) {
  std::vector<outbox_row> rows;
  if (limit == 0)
    return rows;
  rows.reserve(limit);
  const long long wanted = static_cast<long long>(limit);
  soci::rowset<soci::row> result = (sql.prepare << claim_sql, soci::use(wanted, "limit"));
  for (const soci::row& row : result) {
    outbox_row r;
    r.id = static_cast<std::int64_t>(row.get<long long>(0));
    r.event = row.get<std::string>(1);
    rows.push_back(std::move(r));
  }
  return rows;
}

std::size_t mark_published(soci::session& sql, std::span<const std::int64_t> ids) {
  if (ids.empty())
    return 0;
  const std::string literal = array_literal(ids);
  soci::statement update = (sql.prepare << mark_sql, soci::use(literal, "ids"));
  update.execute(true);
  return static_cast<std::size_t>(update.get_affected_rows());
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
