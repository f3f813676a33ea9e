#include "adapters/postgres/commands/reconcile_store.hpp"

#include "adapters/postgres/array_literal.hpp"
#include "adapters/postgres/prepared.hpp"
#include "adapters/postgres/repositories/query.hpp"

namespace kemas::postgres {
namespace {

// Every statement of the reconciler is prepared (prepared.hpp); a pass runs them page after
// page.

// One page of listed keys against files and object_cleanup: two index probes per key.
// $1 keys.
const prepared_statement accounted_statement{
    "kemas_reconcile_accounted",
    "SELECT k.key FROM unnest(CAST($1 AS text[])) AS k(key) "
    "WHERE EXISTS (SELECT 1 FROM files f WHERE f.object_key = k.key AND f.state <> 'deleted') "
    "   OR EXISTS (SELECT 1 FROM object_cleanup c WHERE c.object_key = k.key)"};

// Byte order (COLLATE "C"), the order S3 lists keys in, over files_object_key_bytes_idx.
// $1 after, $2 rows, $3 up to (inclusive).
const prepared_statement live_keys_statement{
    "kemas_reconcile_live_keys",
    "SELECT object_key FROM files WHERE state <> 'deleted' "
    "AND object_key COLLATE \"C\" > CAST($1 AS text) "
    "AND object_key COLLATE \"C\" <= CAST($3 AS text) "
    "ORDER BY object_key COLLATE \"C\" LIMIT $2"};

// $1 after, $2 rows.
const prepared_statement live_keys_to_end{
    "kemas_reconcile_live_keys_to_end",
    "SELECT object_key FROM files WHERE state <> 'deleted' "
    "AND object_key COLLATE \"C\" > CAST($1 AS text) "
    "ORDER BY object_key COLLATE \"C\" LIMIT $2"};

// $1 keys, $2 delay (ms).
const prepared_statement quarantine_statement{
    "kemas_reconcile_quarantine",
    "INSERT INTO object_cleanup (object_key, due_at) "
    "SELECT k.key, now() + CAST($2 AS bigint) * interval '1 millisecond' "
    "FROM unnest(CAST($1 AS text[])) AS k(key) ON CONFLICT (object_key) DO NOTHING"};

std::vector<std::string> first_column(const prepared_rows& rows) {
  std::vector<std::string> out;
  out.reserve(static_cast<std::size_t>(rows.size()));
  for (int row = 0; row < rows.size(); ++row)
    out.push_back(rows.text(row, 0));
  return out;
}

}  // namespace

std::set<std::string> reconcile_store::accounted(const std::vector<std::string>& keys) {
  if (keys.empty())
    return {};
  return run_transaction(*pool_, [&](soci::session& sql) {
    const auto found = first_column(execute(sql, accounted_statement, text_array_literal(keys)));
    return std::set<std::string>(found.begin(), found.end());
  });
}

std::vector<std::string> reconcile_store::live_keys(const std::string& after,
                                                    const std::optional<std::string>& up_to,
                                                    std::size_t limit) {
  return run_transaction(*pool_, [&](soci::session& sql) {
    return first_column(up_to ? execute(sql, live_keys_statement, after, limit, *up_to)
                              : execute(sql, live_keys_to_end, after, limit));
  });
}

std::size_t reconcile_store::quarantine(const std::vector<std::string>& keys,
                                        std::chrono::milliseconds delay) {
  if (keys.empty())
    return 0;
  return run_transaction(*pool_, [&](soci::session& sql) {
    return static_cast<std::size_t>(
        execute(sql, quarantine_statement, text_array_literal(keys),
                static_cast<long long>(delay.count()))
            .affected());
  });
}

}  // namespace kemas::postgres
