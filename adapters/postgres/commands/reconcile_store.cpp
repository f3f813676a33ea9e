#include "adapters/postgres/commands/reconcile_store.hpp"

#include <soci/soci.h>

#include "adapters/postgres/array_literal.hpp"
#include "adapters/postgres/repositories/query.hpp"

namespace kemas::postgres {
namespace {

// One page of listed keys against files and object_cleanup: two index probes per key.
constexpr const char* accounted_sql =
    "SELECT k.key FROM unnest(CAST(:keys AS text[])) AS k(key) "
    "WHERE EXISTS (SELECT 1 FROM files f WHERE f.object_key = k.key AND f.state <> 'deleted') "
    "   OR EXISTS (SELECT 1 FROM object_cleanup c WHERE c.object_key = k.key)";

// Byte order (COLLATE "C"), the order S3 lists keys in, over files_object_key_bytes_idx.
constexpr const char* live_keys_sql =
    "SELECT object_key FROM files WHERE state <> 'deleted' "
    "AND object_key COLLATE \"C\" > :after AND object_key COLLATE \"C\" <= :up_to "
    "ORDER BY object_key COLLATE \"C\" LIMIT :limit";

constexpr const char* live_keys_to_end_sql =
    "SELECT object_key FROM files WHERE state <> 'deleted' "
    "AND object_key COLLATE \"C\" > :after "
    "ORDER BY object_key COLLATE \"C\" LIMIT :limit";

constexpr const char* quarantine_sql =
    "INSERT INTO object_cleanup (object_key, due_at) "
    "SELECT k.key, now() + CAST(:delay_ms AS bigint) * interval '1 millisecond' "
    "FROM unnest(CAST(:keys AS text[])) AS k(key) ON CONFLICT (object_key) DO NOTHING";

}  // namespace

std::set<std::string> reconcile_store::accounted(const std::vector<std::string>& keys) {
  if (keys.empty())
    return {};
  return run_transaction(*pool_, [&](soci::session& sql) {
    const std::string list = text_array_literal(keys);
    soci::rowset<std::string> rows = (sql.prepare << accounted_sql, soci::use(list, "keys"));
    return std::set<std::string>(rows.begin(), rows.end());
  });
}

std::vector<std::string> reconcile_store::live_keys(const std::string& after,
                                                    const std::optional<std::string>& up_to,
                                                    std::size_t limit) {
  return run_transaction(*pool_, [&](soci::session& sql) {
    const auto max = static_cast<long long>(limit);
    std::vector<std::string> out;
    if (up_to) {
      soci::rowset<std::string> rows =
          (sql.prepare << live_keys_sql, soci::use(after, "after"), soci::use(*up_to, "up_to"),
           soci::use(max, "limit"));
      out.assign(rows.begin(), rows.end());
    } else {
      soci::rowset<std::string> rows = (sql.prepare << live_keys_to_end_sql,
                                        soci::use(after, "after"), soci::use(max, "limit"));
      out.assign(rows.begin(), rows.end());
    }
    return out;
  });
}

std::size_t reconcile_store::quarantine(const std::vector<std::string>& keys,
                                        std::chrono::milliseconds delay) {
  if (keys.empty())
    return 0;
  return run_transaction(*pool_, [&](soci::session& sql) {
    const std::string list = text_array_literal(keys);
    const auto delay_ms = static_cast<long long>(delay.count());
    soci::statement insert = (sql.prepare << quarantine_sql, soci::use(delay_ms, "delay_ms"),
                              soci::use(list, "keys"));
    insert.execute(true);
    return static_cast<std::size_t>(insert.get_affected_rows());
  });
}

}  // namespace kemas::postgres
