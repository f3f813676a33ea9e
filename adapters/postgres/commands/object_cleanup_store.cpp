#include "adapters/postgres/commands/object_cleanup_store.hpp"

#include <soci/soci.h>

#include "adapters/postgres/array_literal.hpp"
#include "adapters/postgres/outbox.hpp"
#include "adapters/postgres/prepared.hpp"
#include "adapters/postgres/repositories/query.hpp"

namespace kemas::postgres {
namespace {

// Uploads nobody settled within upload.abandon_after: their api stopped mid-way, or their
// command was lost. SKIP LOCKED: an upload a commit holds right now is that commit's.
// Prepared, as every statement of the cleaner (prepared.hpp). $1 abandon after (ms), $2 rows.
const prepared_statement abandon_uploads_statement{
    "kemas_cleanup_abandon_uploads",
    "UPDATE uploads u SET state = 'rejected', reason = 'abandoned' "
    "FROM (SELECT id FROM uploads WHERE state = 'pending' "
    "      AND created_at < now() - CAST($1 AS bigint) * interval '1 millisecond' "
    "      ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED) stale "
    "WHERE u.id = stale.id RETURNING u.id::text, u.owner_id::text"};

// Due removals whose object a live file references are dropped: such an object is never
// removed (a claim outlived the commit that took the object, which cannot happen by the
// commit's own DELETE, but the rule is kept where the removal happens).
const prepared_statement drop_kept{
    "kemas_cleanup_drop_kept",
    "DELETE FROM object_cleanup c USING files f "
    "WHERE c.due_at <= now() AND f.object_key = c.object_key AND f.state <> 'deleted'"};

// The lease: each claimed row is due again after retry x 2^attempts (at most an hour) unless
// finish() forgets it, so a cleaner that dies mid-batch loses nothing. A removal whose upload
// is still pending waits for the upload's own abandon time (the first statement rejects it).
// SKIP LOCKED: a commit forgetting the row right now wins. $1 retry (ms), $2 rows.
const prepared_statement lease{
    "kemas_cleanup_lease",
    "UPDATE object_cleanup c SET attempts = c.attempts + 1, "
    "  due_at = now() + LEAST(CAST($1 AS bigint) * power(2, LEAST(c.attempts, 20)), "
    "                         3600000) * interval '1 millisecond' "
    "FROM (SELECT object_key FROM object_cleanup oc WHERE oc.due_at <= now() "
    "      AND NOT EXISTS (SELECT 1 FROM uploads u WHERE u.id = oc.upload_id "
    "                      AND u.state = 'pending') "
    "      ORDER BY oc.due_at LIMIT $2 FOR UPDATE SKIP LOCKED) due "
    "WHERE c.object_key = due.object_key "
    "RETURNING c.object_key, coalesce(c.multipart_upload_id, ''), c.attempts - 1"};

// $1 keys.
const prepared_statement forget{
    "kemas_cleanup_forget",
    "DELETE FROM object_cleanup c USING unnest(CAST($1 AS text[])) AS k(key) "
    "WHERE c.object_key = k.key"};

// $1 keys, $2 their errors, in the same order.
const prepared_statement record_errors{
    "kemas_cleanup_record_errors",
    "UPDATE object_cleanup c SET last_error = e.error "
    "FROM unnest(CAST($1 AS text[]), CAST($2 AS text[])) AS e(key, error) "
    "WHERE c.object_key = e.key"};

std::size_t abandon_uploads(soci::session& sql, const ports::cleanup_policy& policy) {
  const prepared_rows rows = execute(sql, abandon_uploads_statement,
                                     static_cast<long long>(policy.abandon_after.count()),
                                     static_cast<long long>(policy.batch));
  std::vector<model::event_draft> events;
  for (int row = 0; row < rows.size(); ++row) {
    model::event_draft event;
    event.type = "upload.rejected";
    event.subject_type = "upload";
    event.subject_id = rows.text(row, 0);
    event.actor_user = uuid::parse(rows.text(row, 1));
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
    out.kept = static_cast<std::size_t>(execute(sql, drop_kept).affected());
    const prepared_rows rows = execute(sql, lease, static_cast<long long>(policy.retry.count()),
                                       static_cast<long long>(policy.batch));
    for (int row = 0; row < rows.size(); ++row) {
      ports::object_removal removal;
      removal.object_key = rows.text(row, 0);
      if (auto id = rows.text(row, 1); !id.empty())
        removal.multipart_upload_id = std::move(id);
      removal.attempts = static_cast<int>(rows.int64(row, 2));
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
      execute(sql, forget, text_array_literal(removed));
    }
    if (!failed.empty()) {
      std::vector<std::string> keys;
      std::vector<std::string> errors;
      for (const auto& [key, error] : failed) {
        keys.push_back(key);
        errors.push_back(error.substr(0, 500));
      }
      execute(sql, record_errors, text_array_literal(keys), text_array_literal(errors));
    }
    tx.commit();
  });
}

}  // namespace kemas::postgres
