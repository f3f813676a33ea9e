#include "adapters/postgres/backup_snapshot.hpp"

#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>

#include <map>
#include <stdexcept>

#include "adapters/postgres/conninfo.hpp"

namespace kemas::postgres {
namespace {

constexpr const char* live_objects_sql =
    "SELECT object_key, size_bytes, sha256, content_type FROM files "
    "WHERE state <> 'deleted' AND object_key COLLATE \"C\" > :after "
    "ORDER BY object_key COLLATE \"C\" LIMIT :page";

constexpr const char* mark_deleted_sql =
    "UPDATE files SET state = 'deleted', deleted_at = now() "
    "WHERE object_key = :key AND state <> 'deleted' RETURNING owner_id::text";

constexpr const char* recount_sql =
    "WITH o AS (SELECT CAST(:owner AS uuid) AS id) "
    "UPDATE users u SET "
    "  used_bytes = (SELECT coalesce(sum(f.size_bytes), 0) FROM files f, o "
    "                WHERE f.owner_id = o.id AND f.state <> 'deleted'), "
    "  file_count = (SELECT count(*) FROM files f, o "
    "                WHERE f.owner_id = o.id AND f.state <> 'deleted') "
    "FROM o WHERE u.id = o.id";

}  // namespace

struct backup_snapshot::session {
  soci::session sql;
};

backup_snapshot::backup_snapshot(const config::postgres_settings& settings)
    : session_(std::make_unique<session>()) {
  session_->sql.open(soci::postgresql, build_conninfo(settings, "kemas-admin backup"));
  session_->sql << "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
  session_->sql << "SELECT pg_export_snapshot()", soci::into(id_);
}

backup_snapshot::~backup_snapshot() {
  try {
    session_->sql << "COMMIT";
  } catch (const std::exception&) {
    // Closing the session ends the transaction anyway.
  }
}

void backup_snapshot::for_each_live_object(
    const std::function<void(const backup_object&)>& each, unsigned page) {
  std::string after;
  for (;;) {
    std::vector<std::string> keys(page), hashes(page), types(page);
    std::vector<long long> sizes(page);
    const int limit = static_cast<int>(page);
    session_->sql << live_objects_sql, soci::use(after), soci::use(limit), soci::into(keys),
        soci::into(sizes), soci::into(hashes), soci::into(types);
    for (std::size_t i = 0; i < keys.size(); ++i)
      each({keys[i], static_cast<std::uint64_t>(sizes[i]), hashes[i], types[i]});
    if (keys.size() < page)
      return;
    after = keys.back();
  }
}

std::uint64_t restore_fixups(const config::postgres_settings& settings,
                             const std::vector<std::string>& keys_without_object) {
  soci::session sql(soci::postgresql, build_conninfo(settings, "kemas-admin restore"));
  soci::transaction tx(sql);
  std::map<std::string, int> owners;
  std::uint64_t marked = 0;
  for (const std::string& key : keys_without_object) {
    std::string owner;
    sql << mark_deleted_sql, soci::use(key), soci::into(owner);
    if (sql.got_data()) {
      ++owners[owner];
      ++marked;
    }
  }
  for (const auto& [owner, count] : owners)
    sql << recount_sql, soci::use(owner);
  tx.commit();
  return marked;
}

std::vector<std::pair<std::string, std::string>> libpq_environment(
    const config::postgres_settings& settings, std::string_view application_name) {
  // libpq's own names for its keywords (the subset kemas's URLs and settings carry).
  static const std::map<std::string, std::string> variable_of{
      {"host", "PGHOST"},         {"hostaddr", "PGHOSTADDR"},
      {"port", "PGPORT"},         {"dbname", "PGDATABASE"},
      {"user", "PGUSER"},         {"password", "PGPASSWORD"},
      {"sslmode", "PGSSLMODE"},   {"sslrootcert", "PGSSLROOTCERT"},
      {"sslcert", "PGSSLCERT"},   {"sslkey", "PGSSLKEY"},
      {"connect_timeout", "PGCONNECT_TIMEOUT"}, {"application_name", "PGAPPNAME"},
      {"options", "PGOPTIONS"},   {"target_session_attrs", "PGTARGETSESSIONATTRS"}};
  std::vector<std::pair<std::string, std::string>> out;
  for (auto& [keyword, value] : connection_parameters(settings, application_name)) {
    const auto it = variable_of.find(keyword);
    if (it == variable_of.end())
      throw std::runtime_error("postgres setting '" + keyword +
                               "' cannot be handed to pg_dump/pg_restore");
    out.emplace_back(it->second, value);
  }
  return out;
}

}  // namespace kemas::postgres
