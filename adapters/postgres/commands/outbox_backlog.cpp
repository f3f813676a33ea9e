#include "adapters/postgres/commands/outbox_backlog.hpp"

#include <soci/soci.h>

#include "adapters/log/logging.hpp"
#include "adapters/postgres/pool.hpp"

namespace kemas::postgres {
namespace {

constexpr const char* backlog_sql =
    "SELECT count(*), coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 "
    "FROM outbox WHERE published_at IS NULL";

}  // namespace

std::optional<outbox_backlog> sample_outbox_backlog(pg_pool& pool) {
  try {
    return pool.with_session([](soci::session& sql) {
      long long count = 0;
      double oldest = 0;
      sql << backlog_sql, soci::into(count), soci::into(oldest);
      return outbox_backlog{count, oldest};
    });
  } catch (const std::exception& e) {
    log::debug("outbox backlog not sampled", {{"error", e.what()}});
    return std::nullopt;
  }
}

}  // namespace kemas::postgres
