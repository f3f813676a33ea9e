#include "adapters/postgres/commands/outbox_backlog.hpp"

#include "adapters/log/logging.hpp"
#include "adapters/postgres/pool.hpp"
#include "adapters/postgres/prepared.hpp"

namespace kemas::postgres {
namespace {

// The oldest event's age in milliseconds (0 when nothing waits).
const prepared_statement backlog{
    "kemas_outbox_backlog",
    "SELECT count(*), coalesce(extract(epoch FROM now() - min(created_at)) * 1000, 0)::bigint "
    "FROM outbox WHERE published_at IS NULL"};

}  // namespace

std::optional<outbox_backlog> sample_outbox_backlog(pg_pool& pool) {
  try {
    return pool.with_session([](soci::session& sql) {
      const prepared_rows row = execute(sql, backlog);
      return outbox_backlog{row.int64(0, 0), static_cast<double>(row.int64(0, 1)) / 1000.0};
    });
  } catch (const std::exception& e) {
    log::debug("outbox backlog not sampled", {{"error", e.what()}});
    return std::nullopt;
  }
}

}  // namespace kemas::postgres
