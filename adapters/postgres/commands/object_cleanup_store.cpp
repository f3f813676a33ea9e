#include "adapters/postgres/commands/object_cleanup_store.hpp"

#include <soci/soci.h>

#include "adapters/postgres/array_literal.hpp"
#include "adapters/postgres/outbox.hpp"
#include "adapters/postgres/repositories/query.hpp"

namespace kemas::postgres {
namespace {

// Uploads nobody settled within upload.abandon_after: their api stopped mid-way, or their
// command was lost. SKIP LOCKED: an upload a commit holds right now is that commit's.
constexpr const char* abandon_uploads_sql =
    "UPDATE uploads u SET state = 'rejected', reason = 'abandoned' "
    "FROM (SELECT id FROM uploads WHERE state = 'pending' "
    "      AND created_at < now() - CAST(:after_ms AS bigint) * interval '1 millisecond' "
    "      ORDER BY created_at LIMIT :batch FOR UPDATE SKIP LOCKED) stale "
    "WHERE u.id = stale.id RETURNING u.id::text, u.owner_id::text";

// Due removals whose object a live file references are dropped: such an object is never
// removed (a claim outlived the commit that took the object, which cannot happen by the
// commit's own DELETE, but the rule is kept where the removal happens).
constexpr const char* drop_kept_sql =
    "DELETE FROM object_cleanup c USING files f "
    "WHERE c.due_at <= now() AND f.object_key = c.object_key AND f.state <> 'deleted'";

// The lease: each claimed row is due again after retry x 2^attempts (at most an hour) unless
// finish() forgets it, so a cleaner that dies mid-batch loses nothing. A removal whose upload
// is still pending waits for the upload's own abandon time (the first statement rejects it).
// SKIP LOCKED: a commit forgetting the row right now wins.
constexpr const char* lease_sql =
    "UPDATE object_cleanup c SET attempts = c.attempts + 1, "
    "  due_at = now() + LEAST(CAST(:retry_ms AS bigint) * power(2, LEAST(c.attempts, 20)), "
    "                         3600000) * interval '1 millisecond' "
    "FROM (SELECT object_key FROM object_cleanup oc WHERE oc.due_at <= now() "
    "      AND NOT EXISTS (SELECT 1 FROM uploads u WHERE u.id = oc.upload_id "
    "                      AND u.state = 'pending') "
    "      ORDER BY oc.due_at LIMIT :batch FOR UPDATE SKIP LOCKED) due "
    "WHERE c.object_key = due.object_key "
    "RETURNING c.object_key, coalesce(c.multipart_upload_id, ''), c.attempts - 1";

constexpr const char* forget_sql =
    "DELETE FROM object_cleanup c USING unnest(CAST(:keys AS text[])) AS k(key) "
    "WHERE c.object_key = k.key";

constexpr const char* record_errors_sql =
    "UPDATE object_cleanup c SET last_error = e.error "
    "FROM unnest(CAST(:keys AS text[]), CAST(:errors AS text[])) AS e(key, error) "
    "WHERE c.object_key = e.key";

std::size_t abandon_uploads(soci::session& sql, const ports::cleanup_policy& policy) {
  const auto after_ms = static_cast<long long>(policy.abandon_after.count());
  const auto batch = static_cast<long long>(policy.batch);
  soci::rowset<soci::row> rows =
      (sql.prepare << abandon_uploads_sql, soci::use(after_ms, "after_ms"),
       soci::use(batch, "batch"));
  std::vector<model::event_draft> events;
  for (const soci::row& row : rows) {
    model::event_draft event;
    event.type = "upload.rejected";
    event.subject_type = "upload";
    event.subject_id = row.get<std::string>(0);
    event.actor_user = uuid::parse(row.get<std::string>(1));
    event.data = {{"reason", "abandoned"}};
    events.push_back(std::move(event));
  }
  append_events(sql, events);
  return events.size();
}

}  // namespace

ports::cleanup_claim object_cleanup_store::claim(const ports::cleanup_policy& policy) {
  return run_transaction(*pool_, [&](soci::session& sql) {
    soci::transaction tx(sql);
    ports::cleanup_claim out;
    out.abandoned = abandon_uploads(sql, policy);
    soci::statement dropped = (sql.prepare << drop_kept_sql);
    dropped.execute(true);
    out.kept = static_cast<std::size_t>(dropped.get_affected_rows());
    const auto retry_ms = static_cast<long long>(policy.retry.count());
    const auto batch = static_cast<long long>(policy.batch);
    soci::rowset<soci::row> rows = (sql.prepare << lease_sql, soci::use(retry_ms, "retry_ms"),
                                    soci::use(batch, "batch"));
    for (const soci::row& row : rows) {
      ports::object_removal removal;
      removal.object_key = row.get<std::string>(0);
      if (auto id = row.get<std::string>(1); !id.empty())
        removal.multipart_upload_id = std::move(id);
      removal.attempts = row.get<int>(2);
      out.due.push_back(std::move(removal));
    }
    tx.commit();
    return out;
  });
}

void object_cleanup_store::finish(const std::vector<std::string>& removed,
                                  const std::vector<std::pair<std::string, std::string>>& failed) {
  if (removed.empty() && failed.empty())
    return;
  run_transaction(*pool_, [&](soci::session& sql) {
    soci::transaction tx(sql);
    if (!removed.empty()) {
      const std::string keys = text_array_literal(removed);
      sql << forget_sql, soci::use(keys, "keys");
    }
    if (!failed.empty()) {
      std::vector<std::string> keys;
      std::vector<std::string> errors;
      for (const auto& [key, error] : failed) {
        keys.push_back(key);
        errors.push_back(error.substr(0, 500));
      }
      const std::string key_list = text_array_literal(keys);
      const std::string error_list = text_array_literal(errors);
      sql << record_errors_sql, soci::use(key_list, "keys"), soci::use(error_list, "errors");
    }
    tx.commit();
  });
}

}  // namespace kemas::postgres
